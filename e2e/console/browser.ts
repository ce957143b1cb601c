import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { scratchDir } from '../../tools/test-support/paths';

/** Debian's chromium; the tests never let a tool download a browser (.ci/run installs the package). */
export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** Screenshots and traces of the console tests: .tmp/console/. */
export const ARTIFACTS = scratchDir('console');

/** A browser context on a laptop-sized window, traced (the trace is saved by `closeTraced`). */
export async function tracedContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  await context.tracing.start({ screenshots: true, snapshots: true });
  return context;
}

/** The running test's name as a file name. */
const currentTestFileName = () => expect.getState().currentTestName?.replace(/\W+/g, '-').slice(0, 80) ?? 'test';

/** Saves the context's trace (under the running test's name unless told otherwise) and closes it. */
export async function closeTraced(context: BrowserContext | undefined, name = currentTestFileName()): Promise<void> {
  if (!context) return;
  await context.tracing.stop({ path: join(ARTIFACTS, `${name}-trace.zip`) }).catch(() => undefined);
  await context.close();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Signs in through the form, and waits until the header names the principal. */
export async function signIn(page: Page, baseUrl: string, token: string, path = '/console/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('API key or token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}

/**
 * Clicks and returns the request the click sent: the wait starts before the click, so a fast
 * answer cannot be missed (as Playwright's docs advise).
 */
export async function clickAndCapture(page: Page, click: () => Promise<void>, urlPart: string): Promise<Request> {
  const sent = page.waitForRequest((r) => r.url().includes(urlPart) && r.method() === 'POST');
  await click();
  return sent;
}
