import * as Dialog from '@radix-ui/react-dialog';
import { type ButtonHTMLAttributes, forwardRef } from 'react';
import { cx } from '../cx';

/** Props of a dialog's `Trigger` part. */
export interface DialogTriggerProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** Render the one child element as the trigger instead of a button (Radix's `asChild`). */
  asChild?: boolean;
}

/**
 * The button that opens the kit dialog it is placed in (`<AddContactDialog.Trigger>` and friends), so
 * the dialog works uncontrolled; focus returns to it when the dialog closes.
 */
export const DialogTrigger = /* @__PURE__ */ forwardRef<HTMLButtonElement, DialogTriggerProps>(
  function DialogTrigger({ className, asChild = false, ...rest }, ref) {
    return (
      <Dialog.Trigger
        ref={ref}
        asChild={asChild}
        {...rest}
        className={asChild ? className : cx('lc-button', className)}
      />
    );
  },
);
