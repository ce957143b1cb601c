import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../../tools/test-support/stack';
import { Api } from '../support/http';
import { startRun } from '../support/scenario';
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
});
