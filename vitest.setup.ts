import '@testing-library/jest-dom/vitest';
import { afterEach, expect } from 'vitest';
import * as axeMatchers from 'vitest-axe/matchers';

// `expect(await axe(container)).toHaveNoViolations()`
expect.extend(axeMatchers);

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match the type parameter of Vitest's own declaration
  interface Assertion<T = any> extends axeMatchers.AxeMatchers {}
  interface AsymmetricMatchersContaining extends axeMatchers.AxeMatchers {}
}

// Testing Library cleans up after itself only with Vitest globals; unmount rendered trees here instead,
// and load React only in files that rendered something.
afterEach(async () => {
  if (typeof document === 'undefined' || document.body.childElementCount === 0) return;
  const { cleanup } = await import('@testing-library/react');
  cleanup();
});
