import * as Dialog from '@radix-ui/react-dialog';
import type { ReactNode } from 'react';

/** The submit and Cancel buttons at the foot of the kit's dialogs. */
export function DialogActions(props: {
  submit: string;
  cancel: string;
  tone: 'primary' | 'danger';
  busy: boolean;
}): ReactNode {
  return (
    <div className="lc-dialog__actions">
      <button
        type="submit"
        className={`lc-button lc-button--${props.tone}`}
        data-state={props.busy ? 'pending' : 'idle'}
      >
        {props.submit}
      </button>
      <Dialog.Close asChild>
        <button type="button" className="lc-button">
          {props.cancel}
        </button>
      </Dialog.Close>
    </div>
  );
}
