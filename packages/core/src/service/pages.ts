import type { Page } from '../domain/types';

/** Largest page a history or feed call answers (R15), measured as JSON text. */
export const MAX_PAGE_BYTES = 1024 * 1024;

/**
 * The page cut to at most `maxBytes` of JSON (always at least one item, which cannot be split), with
 * `nextCursor` continuing after the last item kept.
 */
export function capPage<T>(page: Page<T>, cursorOf: (item: T) => string, maxBytes = MAX_PAGE_BYTES): Page<T> {
  // `{"items":[` … `],"nextCursor":"` … `"}`: room for the wrapper and any cursor this library writes.
  let bytes = 64;
  for (let i = 0; i < page.items.length; i++) {
    bytes += utf8Length(JSON.stringify(page.items[i])) + (i > 0 ? 1 : 0);
    if (bytes > maxBytes && i > 0) {
      const items = page.items.slice(0, i);
      return { items, nextCursor: cursorOf(items.at(-1) as T) };
    }
  }
  return page;
}

/** Bytes of a string in UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) bytes += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}
