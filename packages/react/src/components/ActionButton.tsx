import type { Decision } from '@license-contacts/core';
import {
  type ButtonHTMLAttributes,
  forwardRef,
  type MouseEvent,
  type ReactNode,
  type Ref,
  useId,
} from 'react';
import { cx } from '../cx';
import { useMessages } from '../hooks/useMessages';

/** Props of `ActionButton`. */
export interface ActionButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** The core's decision for this action; `undefined` when not known yet (the server decides). */
  decision: Decision | undefined;
}

/** What `actionMarkup` draws: a button's props, the refusal text (or `null`) and the id of its description. */
export interface ActionMarkupProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  refusal: string | null;
  reasonId: string;
  buttonRef?: Ref<HTMLButtonElement>;
}

function ignore(event: MouseEvent<HTMLButtonElement>): void {
  event.preventDefault();
}

/**
 * The markup of an action button, shared by `ActionButton` and the contact rows (which draw it without
 * a component per button). The same elements either way, so a button keeps its focus when its decision
 * changes.
 */
export function actionMarkup({
  refusal,
  reasonId,
  buttonRef,
  onClick,
  className,
  children,
  'aria-describedby': describedBy,
  ...rest
}: ActionMarkupProps): ReactNode {
  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        {...rest}
        className={cx('lc-action', className)}
        data-state={refusal === null ? 'enabled' : 'disabled'}
        aria-disabled={refusal === null ? undefined : 'true'}
        aria-describedby={cx(describedBy, refusal !== null && reasonId) || undefined}
        onClick={refusal === null ? onClick : ignore}
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
}

/**
 * A button for an action the core may refuse: when refused it stays visible and focusable, with
 * `aria-disabled="true"`, the decision's reason as its description, and clicks that do nothing.
 * @example <ActionButton decision={permissions.addContact} onClick={openAdd}>Add technical contact</ActionButton>
 */
export const ActionButton = /* @__PURE__ */ forwardRef<HTMLButtonElement, ActionButtonProps>(
  function ActionButton({ decision, ...rest }, ref) {
    const messages = useMessages();
    const reasonId = useId();
    // Not decided yet (e.g. a row added a moment ago): the action is offered and the server decides.
    const refusal = decision === undefined || decision.allowed ? null : messages.reason(decision);
    return actionMarkup({ ...rest, refusal, reasonId, buttonRef: ref });
  },
);
