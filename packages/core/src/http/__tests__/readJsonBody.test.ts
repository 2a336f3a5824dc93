// @vitest-environment node

import { LicenseContactsError } from '@license-contacts/core';
import { readJsonBody } from '@license-contacts/core/http';
import { describe, expect, it } from 'vitest';

function post(
  body: BodyInit | null,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
) {
  return new Request('http://portal.test/auth/sign-in', {
    method: 'POST',
    headers,
    ...(body === null ? {} : { body, duplex: 'half' }),
  } as RequestInit);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(LicenseContactsError);
    return (error as LicenseContactsError).code;
  }
}

describe('readJsonBody', () => {
  it('reads a UTF-8 JSON body', async () => {
    expect(await readJsonBody(post('{"email":"zoë@acme.test"}'))).toEqual({ email: 'zoë@acme.test' });
    const typed = post('[1]', { 'Content-Type': 'application/json; charset=UTF-8' });
    expect(await readJsonBody(typed)).toEqual([1]);
  });

  it('refuses other media types, bad UTF-8, empty and malformed bodies', async () => {
    expect(await codeOf(readJsonBody(post('{}', { 'Content-Type': 'text/plain' })))).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(
      await codeOf(readJsonBody(post('{}', { 'Content-Type': 'application/json; charset=utf-16' }))),
    ).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(readJsonBody(post(new Uint8Array([0x22, 0xff, 0x22]))))).toBe('BAD_REQUEST');
    expect(await codeOf(readJsonBody(post('')))).toBe('BAD_REQUEST');
    expect(await codeOf(readJsonBody(post(null)))).toBe('BAD_REQUEST');
    expect(await codeOf(readJsonBody(post('{"a":')))).toBe('BAD_REQUEST');
  });

  it('stops reading a stream as soon as it passes maxBytes', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024).fill(0x20));
      },
    });
    expect(await codeOf(readJsonBody(post(endless), { maxBytes: 4096 }))).toBe('PAYLOAD_TOO_LARGE');
    expect(pulled).toBeLessThan(10);
  });

  it('refuses a too large Content-Length before reading', async () => {
    const request = post('{}', { 'Content-Type': 'application/json', 'Content-Length': '5000' });
    expect(await codeOf(readJsonBody(request, { maxBytes: 4096 }))).toBe('PAYLOAD_TOO_LARGE');
  });
});
