import * as Dialog from '@radix-ui/react-dialog';
import { type ReactNode, type RefObject, useState } from 'react';
import { cx } from '../cx';
import { useControllableState } from '../useControllableState';

/** The props every kit dialog takes: Radix's controllable `open`, a root for its `Trigger`, and placement. */
export interface KitDialogProps {
  /** Whether the dialog is open (controlled); use with `onOpenChange`. */
  open?: boolean;
  /** Whether the dialog starts open (uncontrolled). */
  defaultOpen?: boolean;
  /** Called when the dialog asks to open or close (its `Trigger`, Cancel, Escape, a finished change). */
  onOpenChange?: (open: boolean) => void;
  /** Where focus goes when the dialog closes; default the `Trigger`, if there is one. */
  returnFocusRef?: RefObject<HTMLElement | null>;
  className?: string;
  /** Where the dialog is portalled; default `document.body`. */
  container?: HTMLElement | null;
  /** Rendered inside the dialog's root, e.g. its `Trigger`. */
  children?: ReactNode;
}

/**
 * The shell of the kit's dialogs: controlled or uncontrolled, a fresh form (`body`) each time it opens,
 * content that stays mounted while it closes (`data-state="closed"`), and focus sent where `focusTarget`
 * says (default `returnFocusRef`) when it closes.
 */
export function KitDialog(
  props: KitDialogProps & {
    kind: string;
    role?: 'dialog' | 'alertdialog';
    attributes?: Record<string, string>;
    focusTarget?: () => HTMLElement | null | undefined;
    body: (close: () => void) => ReactNode;
  },
): ReactNode {
  const [open, setOpen] = useControllableState(props.open, props.defaultOpen ?? false, props.onOpenChange);
  const [generation, setGeneration] = useState(0);
  const change = (next: boolean) => {
    if (!next) setGeneration((g) => g + 1);
    setOpen(next);
  };
  return (
    <Dialog.Root open={open} onOpenChange={change}>
      {props.children}
      <Dialog.Portal {...(props.container === undefined ? {} : { container: props.container })}>
        <Dialog.Overlay className="lc-dialog-overlay" />
        <Dialog.Content
          {...props.attributes}
          role={props.role ?? 'dialog'}
          className={cx('lc-dialog', props.className)}
          data-dialog={props.kind}
          onCloseAutoFocus={(event) => {
            const target = props.focusTarget ? props.focusTarget() : props.returnFocusRef?.current;
            if (target?.isConnected) {
              event.preventDefault();
              target.focus();
            }
          }}
        >
          <KeyedBody key={generation} render={() => props.body(() => change(false))} />
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function KeyedBody({ render }: { render: () => ReactNode }): ReactNode {
  return render();
}
