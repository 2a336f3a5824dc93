import { useCallback, useRef, useState } from 'react';

/**
 * State a parent may control (`prop` with `onChange`) or leave to the component (`defaultProp`), as
 * Radix's `useControllableState`: the setter calls `onChange` either way, and only uncontrolled state
 * is kept here.
 */
export function useControllableState<T>(
  prop: T | undefined,
  defaultProp: T,
  onChange: ((value: T) => void) | undefined,
): [T, (value: T) => void] {
  const [own, setOwn] = useState(defaultProp);
  const controlled = prop !== undefined;
  const value = controlled ? prop : own;
  const latest = useRef({ value, controlled, onChange });
  latest.current = { value, controlled, onChange };
  const set = useCallback((next: T) => {
    const { value, controlled, onChange } = latest.current;
    if (Object.is(next, value)) return;
    if (!controlled) setOwn(next);
    onChange?.(next);
  }, []);
  return [value, set];
}
