import { validationError } from '../domain/errors';

const DIGITS = 16;
const SEQ = /^\d{16}$/;

/** The `seq` of the `n`-th entry of a storage (1-based): fixed-width digits, so strings sort like numbers. */
export function formatSeq(n: number | bigint | string): string {
  const text = String(n);
  if (!/^\d{1,16}$/.test(text)) throw new RangeError(`A seq is a number of at most ${DIGITS} digits`);
  return text.padStart(DIGITS, '0');
}

/** The position a `seq` names, or VALIDATION naming `field` when it is not one this library wrote. */
export function parseSeq(value: unknown, field = 'after'): number {
  if (typeof value !== 'string' || !SEQ.test(value)) {
    throw validationError(field, `${field} is not a cursor of the change feed`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw validationError(field, `${field} is not a cursor of the change feed`);
  return n;
}
