function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Structural sharing: `next`, with every part that deep-equals the same part of `previous` replaced by
 * `previous`'s, so unchanged values keep their identity (and memoised views skip them). Answers
 * `previous` itself when the two are deeply equal. Plain objects and arrays only; anything else compares
 * with `Object.is`.
 */
export function replaceEqualDeep<T>(previous: unknown, next: T): T {
  if (Object.is(previous, next)) return previous as T;
  if (Array.isArray(previous) && Array.isArray(next)) {
    const copy: unknown[] = [];
    let same = previous.length === next.length;
    for (let i = 0; i < next.length; i++) {
      const value = replaceEqualDeep(previous[i], next[i]);
      if (value !== previous[i] || i >= previous.length) same = false;
      copy.push(value);
    }
    return (same ? previous : copy) as T;
  }
  if (!isPlainObject(previous) || !isPlainObject(next)) return next;
  const keys = Object.keys(next);
  let same = Object.keys(previous).length === keys.length;
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const had = Object.hasOwn(previous, key);
    const value = replaceEqualDeep(had ? previous[key] : undefined, next[key]);
    if (!had || value !== previous[key]) same = false;
    // Defined, not assigned, so a key such as `__proto__` stays a plain key.
    Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return (same ? previous : copy) as T;
}
