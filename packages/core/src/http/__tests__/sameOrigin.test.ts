// @vitest-environment node

import { createSameOriginCheck } from '@license-contacts/core/http';
import { describe, expect, it } from 'vitest';

/** A POST as a framework hands it over: `url` as the framework rebuilt it, headers as the browser sent them. */
function post(url: string, headers: Record<string, string>): Request {
  return new Request(url, { method: 'POST', headers });
}

describe('createSameOriginCheck', () => {
  const check = createSameOriginCheck();

  it('compares Origin with the Host the browser addressed, not with a rewritten request.url', () => {
    // Next.js reports every request as http://localhost:<port>, whatever the browser addressed.
    const rewritten = 'http://localhost:3000/api/licenses/SEN-1/contacts';
    expect(check(post(rewritten, { Host: 'portal.example.com', Origin: 'http://portal.example.com' }))).toBe(
      true,
    );
    expect(
      check(post(rewritten, { Host: 'portal.example.com:8443', Origin: 'https://portal.example.com:8443' })),
    ).toBe(true);
    // …and a request.url that happens to match the Origin does not make a foreign Host same-origin.
    expect(
      check(
        post('http://evil.test/api/licenses', { Host: 'portal.example.com', Origin: 'http://evil.test' }),
      ),
    ).toBe(false);
  });

  it('refuses another host, another port, a null or malformed Origin, and cross-site requests', () => {
    const url = 'http://portal.test/api/x';
    for (const headers of [
      { Host: 'portal.test', Origin: 'http://evil.test' },
      { Host: 'portal.test', Origin: 'http://portal.test:8080' },
      { Host: 'portal.test:8080', Origin: 'http://portal.test' },
      { Host: 'portal.test', Origin: 'null' },
      { Host: 'portal.test', Origin: 'portal.test' },
      { Host: 'portal.test', Origin: 'ftp://portal.test' },
      { Host: 'portal.test', Origin: 'http://portal.test/' },
      { Host: 'portal.test', Origin: 'http://portal.test', 'Sec-Fetch-Site': 'cross-site' },
      { Host: 'portal.test', 'Sec-Fetch-Site': 'cross-site' },
      { Host: 'evil.test@portal.test', Origin: 'http://portal.test' },
      { Host: 'portal.test/evil', Origin: 'http://portal.test' },
    ]) {
      expect({ headers, allowed: check(post(url, headers)) }).toEqual({ headers, allowed: false });
    }
  });

  it('treats a request with neither Origin nor Sec-Fetch-Site as a server-side client', () => {
    expect(check(post('http://portal.test/api/x', { Host: 'portal.test' }))).toBe(true);
    expect(check(post('http://portal.test/api/x', {}))).toBe(true);
  });

  it('uses the request URL only when the runtime gives no Host header', () => {
    expect(check(post('http://portal.test/api/x', { Origin: 'http://portal.test' }))).toBe(true);
    expect(check(post('http://portal.test/api/x', { Origin: 'http://evil.test' }))).toBe(false);
  });

  it('compares hosts canonically: case, default ports and international names', () => {
    expect(check(post('http://x/', { Host: 'PORTAL.test:80', Origin: 'http://portal.test' }))).toBe(true);
    expect(check(post('https://x/', { Host: 'portal.test:443', Origin: 'https://portal.test' }))).toBe(true);
    expect(
      check(post('http://x/', { Host: 'xn--mnchen-3ya.test', Origin: 'http://xn--mnchen-3ya.test' })),
    ).toBe(true);
  });

  it('lets an https origin reach a server that sees http (TLS ended at a proxy), never the reverse', () => {
    expect(check(post('http://portal.test/x', { Host: 'portal.test', Origin: 'https://portal.test' }))).toBe(
      true,
    );
    expect(check(post('https://portal.test/x', { Host: 'portal.test', Origin: 'http://portal.test' }))).toBe(
      false,
    );
  });

  it('ignores X-Forwarded-Host and X-Forwarded-Proto unless trustProxy is set', () => {
    const headers = {
      Host: '127.0.0.1:3000',
      'X-Forwarded-Host': 'portal.example.com',
      'X-Forwarded-Proto': 'https',
      Origin: 'https://portal.example.com',
    };
    const url = 'http://127.0.0.1:3000/api/x';
    expect(check(post(url, headers))).toBe(false);
    const behindProxy = createSameOriginCheck({ trustProxy: true });
    expect(behindProxy(post(url, headers))).toBe(true);
    // The first of a list of forwarded hosts is the one the browser addressed.
    expect(behindProxy(post(url, { ...headers, 'X-Forwarded-Host': 'portal.example.com, 10.0.0.1' }))).toBe(
      true,
    );
    expect(behindProxy(post(url, { ...headers, Origin: 'http://portal.example.com' }))).toBe(false);
    expect(behindProxy(post(url, { ...headers, Origin: 'https://evil.test' }))).toBe(false);
    // Without X-Forwarded-Host the Host header still counts.
    expect(behindProxy(post(url, { Host: 'portal.test', Origin: 'http://portal.test' }))).toBe(true);
  });

  it('accepts allowedOrigins, even when marked cross-site', () => {
    const shop = createSameOriginCheck({ allowedOrigins: ['https://shop.test/'] });
    const headers = { Host: 'portal.test', Origin: 'https://shop.test', 'Sec-Fetch-Site': 'cross-site' };
    expect(shop(post('http://portal.test/x', headers))).toBe(true);
    expect(shop.allows('https://shop.test')).toBe(true);
    expect(shop.allows('https://evil.test')).toBe(false);
    expect(shop.allows(null)).toBe(false);
  });
});
