import { parseEmail } from '@license-contacts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiDomain } from '../validate';

/** The same domain in capitals: never the plain fast path, always the URL parser (which lower-cases ASCII). */
const byUrl = (domain: string) => asciiDomain(domain.toUpperCase());

describe('asciiDomain', () => {
  it('answers what the URL parser writes, for plain and tricky domains alike', () => {
    const cases = [
      'acme.test',
      'a.b.c',
      'x-y.z',
      'acme.1',
      'acme.0x1f',
      'acme.0xg',
      'xn--mnchen-3ya.de',
      'münchen.de',
      'ｇｍａｉｌ.com',
      'a..b',
      'acme.test.',
      '-a.b',
      '1.2.3.4',
      'a.b1',
      '0x.a',
    ];
    for (const domain of cases) expect(asciiDomain(domain), domain).toBe(byUrl(domain));
    const label = fc.stringMatching(/^(?:[a-z0-9-]{0,6}|0x[0-9a-f]{0,3}|xn--[a-z0-9]{0,4})$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), (labels) => {
        const domain = labels.join('.');
        expect(asciiDomain(domain)).toBe(byUrl(domain));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps parseEmail answering normalized addresses', () => {
    expect(parseEmail(' Kelly@ＡＣＭＥ.test ')).toBe('kelly@acme.test');
    expect(parseEmail('a@acme.test')).toBe('a@acme.test');
    expect(() => parseEmail('a@acme.1')).toThrow();
  });
});
