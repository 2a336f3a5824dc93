import type { Decision } from '@license-contacts/core';
import { type ButtonHTMLAttributes, forwardRef, type MouseEvent, useId } from 'react';
import { cx } from '../cx';
import { useMessages } from '../hooks/useMessages';

/** Props of `ActionButton`. */
export interface ActionButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** The core's decision for this action; `undefined` when not known yet (the server decides). */
  decision: Decision | undefined;
}

/**
 * A button for an action the core may refuse: when refused it stays visible and focusable, with
 * `aria-disabled="true"`, the decision's reason as its description, and clicks that do nothing.
 */
export const ActionButton = forwardRef<HTMLButtonElement, ActionButtonProps>(function ActionButton(
  { decision, onClick, className, children, 'aria-describedby': describedBy, ...rest },
  ref,
) {
  const messages = useMessages();
  const reasonId = useId();
  // Not decided yet (e.g. a row added a moment ago): the action is offered and the server decides.
  const refusal = decision === undefined || decision.allowed ? null : messages.reason(decision);
  const handleClick = (event: MouseEvent<HTMLButtonElement>) => {
    if (refusal !== null) {
      event.preventDefault();
      return;
    }
    onClick?.(event);
  };
  return (
    <>
      <button
        ref={ref}
        type="button"
        {...rest}
        className={cx('lc-action', className)}
        data-state={refusal === null ? 'enabled' : 'disabled'}
        aria-disabled={refusal === null ? undefined : 'true'}
        aria-describedby={cx(describedBy, refusal !== null && reasonId) || undefined}
        onClick={handleClick}
      >
        {children}
      </button>
      {refusal !== null && (
        <span id={reasonId} hidden>
          {refusal}
        </span>
      )}
    </>
  );
});
