import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium';

/** Where review screenshots go (ignored by git). */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** Debian's Chromium, with a fresh temporary profile (user data dir) of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS],
  });
}

/** A new page in a context of its own (its own cookies), on the sign-in page of the portal at `url`. */
export async function openPortal(browser: Browser, url: string = inject('portalUrl')): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  return page;
}

/** Signs in with the demo button of `name` and waits for the licenses page. */
export async function signInAs(page: Page, name: string, email: string): Promise<void> {
  await page.getByRole('button', { name: `Sign in as ${name}`, exact: true }).click();
  await page.getByText(`Signed in as ${email}`, { exact: true }).waitFor();
}

/** Signs out and waits for the sign-in page. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
}

/** Waits until the licenses have loaded (rows, or the empty message) and returns the row names. */
export async function licenseRows(page: Page): Promise<string[]> {
  const main = page.getByRole('main');
  const rows = main.getByRole('button', { expanded: false }).or(main.getByRole('button', { expanded: true }));
  await rows
    .first()
    .or(main.getByText('No licenses', { exact: true }))
    .waitFor();
  return (await rows.all()).length === 0
    ? []
    : rows.evaluateAll((els) => els.map((el) => el.textContent ?? ''));
}

/** The row button of a license, found by its accessible name `{product} {id}`. */
export function licenseRow(page: Page, product: string, id: string): Locator {
  return page.getByRole('button', { name: new RegExp(`^${product} ${id}\\b`) });
}

/** The names in a role's list of the open panel, in order (the first is main). */
export async function namesIn(
  page: Page,
  list: 'Technical contacts' | 'Billing contacts',
): Promise<string[]> {
  const items = page.getByRole('list', { name: list }).getByRole('listitem');
  await items.first().waitFor();
  return items.evaluateAll((els) =>
    els.map((el) => el.querySelector('.lc-contact__name')?.firstChild?.textContent ?? ''),
  );
}

/** `locator` once the core's permissions allow its action (no `aria-disabled`). */
export async function enabled(locator: Locator): Promise<Locator> {
  await locator.and(locator.page().locator(':not([aria-disabled="true"])')).waitFor();
  return locator;
}

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

/** Runs axe-core (every rule of WCAG 2.x A and AA and best practices) on the page; expects no violations. */
export async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const source = await axeSource;
  // What is still fading in (a dialog's 120 ms opacity animation) would be judged half transparent:
  // axe looks at the page once its animations have finished.
  await page.evaluate(() =>
    Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))),
  );
  // Evaluated through the DevTools protocol, so the portal's Content-Security-Policy stays on.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<any> } })
      .axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as any[]).map((v) => ({
      id: v.id as string,
      impact: v.impact as string,
      help: v.help as string,
      targets: (v.nodes as any[]).map((n) => String(n.target)),
    }));
  });
  expect(violations, `axe violations on ${label}`).toEqual([]);
}

/** Saves a full-page screenshot for review in test-results/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** Chromium for the file's tests and one page on the portal's sign-in page: `page()` gives it. */
export function portalPageForFile(): () => Page {
  let browser: Browser | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    page = await openPortal(browser);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!page) throw new Error('the portal page opens in beforeAll');
    return page;
  };
}
