/**
 * Freezes a plain value (objects, arrays, primitives) and everything in it, as immer's `freeze(value,
 * true)` does: a part found frozen already is taken as frozen through and not walked again, so
 * freezing a new version that shares most of its rows with a frozen one costs what is new in it.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
