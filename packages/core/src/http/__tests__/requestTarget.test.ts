// @vitest-environment node

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../requestTarget';

/** What the WHATWG URL parser makes of a target on a Host: the answer `resolveTarget` must give. */
function parsed(target: string, host: string | undefined, encrypted: boolean) {
  try {
    const url = new URL(target, `${encrypted ? 'https' : 'http'}://${host ?? 'localhost'}`);
    if (url.username !== '' || url.password !== '') return null;
    return { href: url.href, pathname: url.pathname, search: url.search };
  } catch {
    return null;
  }
}

const HOSTS = [
  'portal.example.com',
  'localhost:3000',
  '127.0.0.1:8080',
  '127.1',
  '0x7f.0.0.1',
  '10.0.0.256',
  '010.0.0.1',
  'PORTAL.example.com',
  'portal.example.com.',
  'localhost:80',
  'localhost:443',
  'localhost:080',
  'localhost:65536',
  'localhost:0',
  'xn--nxasmq6b.com',
  'xn--zz',
  'user@evil.test',
  'a:b@evil.test',
  '[::1]:3000',
  'host with space',
  'host:port',
  'example.123',
  '',
];

const TARGETS = [
  '/api/licenses/SEN-1',
  '/api/licenses/SEN-1/contacts/carol%40acme.test',
  '/api/licenses?after=7&limit=10',
  '/api/licenses?',
  '/api/a/../b',
  '/api/./b',
  '/api/%2e%2E/b',
  '/api/.hidden',
  '//evil.test/api',
  '/api/a b',
  "/api/it's?q=it's",
  '/api/é',
  '/api/a\\b',
  '/api/x#frag',
  '/api/{x}|^`',
  '/api/%zz',
  'http://other.test/api/licenses',
  '*',
  '',
];

describe('resolveTarget', () => {
  it('answers what the URL parser answers, for every target on every Host, on http and https', () => {
    for (const encrypted of [false, true]) {
      for (const host of [...HOSTS, undefined]) {
        for (const target of TARGETS) {
          expect(resolveTarget(target, host, encrypted), `${host} ${target}`).toEqual(
            parsed(target, host, encrypted),
          );
        }
      }
    }
  });

  it('answers what the URL parser answers for generated targets and Hosts', () => {
    const piece = fc.constantFrom(
      ...'abcXYZ019-._~!$&()*+,;=:@%/?#\' "<>\\^`{|}é'.split(''),
      '/.',
      '/..',
      '%2e',
      '%2F',
      '//',
      '?',
    );
    const target = fc.array(piece, { maxLength: 12 }).map((parts) => `/${parts.join('')}`);
    const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,6}$/);
    const host = fc.tuple(
      fc.array(label, { minLength: 1, maxLength: 3 }),
      fc.option(fc.integer({ min: 0, max: 70_000 }), { nil: undefined }),
    );
    fc.assert(
      fc.property(target, host, fc.boolean(), (path, [labels, port], encrypted) => {
        const name = `${labels.join('.')}${port === undefined ? '' : `:${port}`}`;
        expect(resolveTarget(path, name, encrypted)).toEqual(parsed(path, name, encrypted));
      }),
      { numRuns: 2000 },
    );
  });
});
