import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../../tools/test-support/stack';
import { Api } from '../support/http';
import { planGateOpen, startRun } from '../support/scenario';
import { closeTraced, launchChromium, screenshot, signIn, tracedContext } from './browser';

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

/** The console's inbox over GET /api/gates (DESIGN section 14), live through GET /api/stream/gates. */
describe('console inbox (e2e, Chromium)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      Stack.start({ name: 'console-inbox', env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey } }),
      launchChromium(),
    ]);
    admin = new Api(stack.baseUrl, bearer(adminKey));
    context = await tracedContext(browser);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await closeTraced(context, 'inbox');
    await browser?.close();
    await stack?.stop();
  });

  it('shows a new gate as it opens, without a reload, and leads to its page', async () => {
    await signIn(page, stack.baseUrl, adminKey);
    const asked = page.waitForRequest((r) => r.url().includes('/api/gates?'));
    await page.reload();
    const query = new URL((await asked).url()).searchParams;
    expect(query.get('state')).toBe('PENDING');
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    const wid = await startRun(admin);
    const item = page.getByTestId(`inbox-item-${wid}`);
    await item.waitFor({ timeout: 20_000 });
    expect(navigations).toBe(0);
    await screenshot(page, 'inbox');
    await item.getByRole('link', { name: /Approve/ }).click();
    await page.getByTestId('gate-state').filter({ hasText: 'PENDING' }).waitFor();
    expect(page.url()).toBe(`${stack.baseUrl}/console/runs/${wid}/gates/approve-plan`);
  });

  it('stays calm under a burst of gate events: at most one re-read a second, and the last gate still shows', async () => {
    // When the page calls GET /api/gates, timed in the page (the test's own clock would add the
    // browser-to-test hop, which varies on a loaded machine).
    await page.addInitScript(() => {
      const w = globalThis as any;
      const fetch = w.fetch.bind(w);
      w.gateReads = [];
      w.fetch = (input: unknown, init: unknown) => {
        if (String((input as { url?: string })?.url ?? input).includes('/api/gates?')) w.gateReads.push(Date.now());
        return fetch(input, init);
      };
    });
    const connected = page.waitForResponse((r) => r.url().endsWith('/api/stream/gates'));
    await page.goto(`${stack.baseUrl}/console/`);
    await connected;
    await page.getByTestId('inbox').waitFor();
    // The first read and the one on connecting are not part of the burst.
    await new Promise((r) => setTimeout(r, 500));
    await page.evaluate(() => ((globalThis as any).gateReads = []));

    const started = Date.now();
    const wids = await Promise.all(Array.from({ length: 30 }, () => startRun(admin)));
    await Promise.all(wids.map((wid) => planGateOpen(admin, wid)));
    const opened = Date.now();
    for (const wid of wids) await page.getByTestId(`inbox-item-${wid}`).waitFor({ timeout: 20_000 });
    const shown = Date.now();
    const reads = await page.evaluate(() => (globalThis as any).gateReads as number[]);

    // 30 gates opened (30 feed events or more). A re-read waits for the one in flight, so two may come
    // close together, never three: any three span more than the throttle's second (less timer slack).
    expect(reads.length).toBeGreaterThanOrEqual(1);
    for (let i = 2; i < reads.length; i++) expect(reads[i] - reads[i - 2]).toBeGreaterThanOrEqual(950);
    expect(reads.length).toBeLessThanOrEqual(Math.ceil((shown - started) / 1000) + 2);
    expect(reads.length).toBeLessThan(30);
    process.stdout.write(
      `inbox burst: 30 gates opened in ${opened - started} ms, all shown after ${shown - started} ms, ` +
        `${reads.length} GET /api/gates, gaps ${reads
          .slice(1)
          .map((t, i) => t - reads[i])
          .join(' ')} ms\n`,
    );
  });
});
