import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Stack } from '../../tools/test-support/stack';
import { Api } from '../support/http';
import { planGateOpen, runReaches, startRun } from '../support/scenario';
import { closeTraced, launchChromium, tracedContext } from './browser';

/** The laptop lane (AUTH_MODE=off): the console signs in as anonymous, by keyboard alone. */
describe('web console under AUTH_MODE=off (e2e, Chromium)', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([Stack.start({ name: 'console-off' }), launchChromium()]);
    context = await tracedContext(browser);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await closeTraced(context, 'auth-off');
    await browser?.close();
    await stack?.stop();
  });

  it('signs in with no token as anonymous (kept across a reload) and decides a gate with the keyboard only', async () => {
    const api = new Api(stack.baseUrl);
    const wid = await startRun(api);
    await planGateOpen(api, wid);

    await page.goto(`${stack.baseUrl}/console/runs/${wid}/gates/approve-plan`);
    // The token field has the focus; Enter submits the empty form.
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toContain('every role');
    await page.reload();
    await page.getByTestId('gate-state').filter({ hasText: 'PENDING' }).waitFor();

    await page.getByTestId('rationale').focus();
    await page.keyboard.type('ok by keyboard');
    // Rationale -> patch -> the first choice, then Enter on it.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.dataset?.testid)).toBe('choice-yes');
    const sent = page.waitForRequest((r) => r.url().endsWith('/reply'));
    await page.keyboard.press('Enter');
    expect((await sent).postDataJSON().payload).toEqual({ choice: 'yes', rationale: 'ok by keyboard' });
    await expect(page.getByTestId('decided').textContent()).resolves.toContain('approve by anonymous');
    await runReaches(api, wid, 'SUCCESS');
  });
});
