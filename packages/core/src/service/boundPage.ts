import type { Page } from '../domain/types';

/** The most bytes of JSON one page of history answers (R15), whatever its `limit` says. */
export const MAX_PAGE_BYTES = 1024 * 1024;

/** Bytes of a text in UTF-8 (a JSON text has no lone surrogates: it escapes them). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff)
      i += 1; // a pair: 4 bytes for 2 units
    else bytes += 2;
  }
  return bytes;
}

/**
 * The first items of a page whose JSON (`{"items":[…],"nextCursor":"…"}`) fits in `maxBytes`, at
 * least one; when items are left out, `nextCursor` continues right after the last one kept.
 */
export function boundPage<T>(
  page: Page<T>,
  cursorOf: (item: T) => string,
  maxBytes = MAX_PAGE_BYTES,
): Page<T> {
  // `{"items":[` … `],"nextCursor":"` … `"}`, with room for any cursor this library writes.
  let bytes = 64;
  for (let i = 0; i < page.items.length; i++) {
    bytes += utf8Length(JSON.stringify(page.items[i])) + 1;
    if (bytes > maxBytes && i > 0) {
      const items = page.items.slice(0, i);
      return { items, nextCursor: cursorOf(items[i - 1] as T) };
    }
  }
  return page;
}
