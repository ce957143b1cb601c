import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../../tools/test-support/stack';
import { WebhookReceiver } from '../../tools/test-support/webhook-receiver';
import { Api, bearer } from '../support/http';
import { planGateOpen, startRun } from '../support/scenario';
import { clickAndCapture, closeTraced, launchChromium, screenshot, signIn, tracedContext } from './browser';

/**
 * The console's webhooks page (DESIGN sections 13 and 14) against the real stack and a loopback
 * receiver: register (secret shown once), deliveries, a dead letter redelivered, an endpoint disabled
 * by a 410 and enabled again, rotate, edit events, delete; refused for non-admins.
 */
describe('console webhooks (e2e, Chromium)', () => {
  const adminKey = generateApiKey();
  const receiver = new WebhookReceiver();
  let stack: Stack;
  let admin: Api;
  let operatorKey: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    await receiver.start();
    [stack, browser] = await Promise.all([
      Stack.start({
        name: 'console-webhooks',
        env: {
          AUTH_MODE: 'required',
          AUTH_BOOTSTRAP_ADMIN_KEY: adminKey,
          WEBHOOK_ALLOW_PRIVATE: 'true',
          // Three attempts within a second, so a failing receiver dead-letters quickly.
          WEBHOOK_RETRY_SCHEDULE_S: '0.3,0.3',
          WEBHOOK_RETRY_JITTER: '0',
          WEBHOOK_TIMEOUT_MS: '1000',
          WEBHOOK_RESCAN_MS: '200',
        },
      }),
      launchChromium(),
    ]);
    admin = new Api(stack.baseUrl, bearer(adminKey));
    const made = await admin.post('/api/keys', { name: 'console-operator', roles: ['operator'] });
    expect(made.status).toBe(201);
    operatorKey = made.body.key;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await receiver.stop();
  }, 60_000);

  beforeEach(async () => {
    context = await tracedContext(browser);
    page = await context.newPage();
  });

  afterEach(async () => {
    await closeTraced(context);
  });

  /** A run whose plan gate opened (one gate.opened fact), and its row in the open deliveries list. */
  async function gateOpened(): Promise<{ wid: string; row: Locator }> {
    const wid = await startRun(admin);
    await planGateOpen(admin, wid);
    return { wid, row: page.getByTestId('delivery-list').locator('tr', { hasText: wid.slice(0, 8) }) };
  }
  const deliveryOf = async (id: string, wid: string) =>
    (await admin.get(`/api/webhooks/${id}/deliveries`)).body.items.find(
      (d: { workflowId: string }) => d.workflowId === wid,
    );

  it('registers an endpoint, shows its deliveries, redelivers a dead letter, re-enables, rotates, edits events and deletes', async () => {
    await signIn(page, stack.baseUrl, adminKey);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();

    await page.getByLabel('URL').fill(receiver.url('/pager'));
    expect(await page.getByLabel('gate.opened').isChecked()).toBe(true);
    await page.getByLabel('gate.decided').check();
    const sent = await clickAndCapture(
      page,
      () => page.getByRole('button', { name: 'Register webhook' }).click(),
      '/api/webhooks',
    );
    expect(sent.postDataJSON()).toEqual({ url: receiver.url('/pager'), events: ['gate.opened', 'gate.decided'] });
    const secret = (await page.getByTestId('webhook-secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    receiver.trust('/pager', secret);
    const [hook] = (await admin.get('/api/webhooks')).body;
    expect(hook).toMatchObject({ url: receiver.url('/pager'), events: ['gate.opened', 'gate.decided'] });
    const row = page.getByTestId(`webhook-${hook.id}`);
    await expect(row.getByTestId('webhook-state').textContent()).resolves.toBe('ENABLED');
    // Shown once: gone after Done, and never in the list.
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain(secret);

    // A gate opens: one delivery, signed with the secret, listed as delivered.
    await row.getByRole('button', { name: 'Deliveries' }).click();
    const first = await gateOpened();
    await first.row.getByTestId('delivery-status').filter({ hasText: 'DELIVERED' }).waitFor({ timeout: 20_000 });
    await expect(first.row.getByTestId('delivery-code').textContent()).resolves.toBe('200');
    await expect(first.row.getByTestId('delivery-attempts').textContent()).resolves.toBe('1');
    const got = receiver.on('/pager').filter((r) => r.payload.data.workflowId === first.wid);
    expect(got.map((r) => [r.payload.type, r.verifiedBy])).toEqual([['gate.opened', [secret]]]);

    // The receiver fails: three attempts, then the dead-letter list; redelivered from the page.
    receiver.answer('/pager', () => ({ status: 503 }));
    const second = await gateOpened();
    await second.row.getByTestId('delivery-status').filter({ hasText: 'DEAD' }).waitFor({ timeout: 20_000 });
    await expect(second.row.getByTestId('delivery-code').textContent()).resolves.toBe('503');
    await expect(second.row.getByTestId('delivery-attempts').textContent()).resolves.toBe('3');
    expect(await deliveryOf(hook.id, second.wid)).toMatchObject({ status: 'DEAD', attempts: 3, lastStatusCode: 503 });
    receiver.answer('/pager', () => ({ status: 200 }));
    await second.row.getByRole('button', { name: 'Redeliver' }).click();
    await second.row.getByTestId('delivery-status').filter({ hasText: 'DELIVERED' }).waitFor({ timeout: 20_000 });
    await expect(second.row.getByTestId('delivery-code').textContent()).resolves.toBe('200');
    const tries = receiver.on('/pager').filter((r) => r.payload.data.workflowId === second.wid);
    expect(tries.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(tries.map((r) => r.webhookId)).size).toBe(1);
    await screenshot(page, 'webhooks');

    // 410 Gone disables the endpoint; the page says why and enables it again (PATCH).
    receiver.answer('/pager', () => ({ status: 410 }));
    const third = await gateOpened();
    await third.row.getByTestId('delivery-status').filter({ hasText: 'DEAD' }).waitFor({ timeout: 20_000 });
    await row.getByTestId('webhook-state').filter({ hasText: 'DISABLED' }).waitFor();
    const reason = (await admin.get('/api/webhooks')).body[0].disabledReason;
    expect(reason).toBeTruthy();
    await expect(row.textContent()).resolves.toContain(reason);
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByTestId('webhook-state').filter({ hasText: 'ENABLED' }).waitFor();
    expect((await admin.get('/api/webhooks')).body[0]).toMatchObject({ enabled: true });

    // Rotate: a new secret, shown once.
    await row.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.getByTestId('webhook-secret').textContent())!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await expect(page.getByTestId('webhook-secret-shown').textContent()).resolves.toContain('previous secret');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('body').textContent()).not.toContain(rotated);

    // Edit the events with the register form's checkboxes: Escape leaves them as they were, Save sends them.
    await row.getByRole('button', { name: 'Edit events' }).click();
    await row.getByLabel('gate.decided').uncheck();
    await page.keyboard.press('Escape');
    await row.getByRole('form', { name: 'Edit events' }).waitFor({ state: 'detached' });
    expect((await admin.get('/api/webhooks')).body[0].events).toEqual(['gate.opened', 'gate.decided']);
    await row.getByRole('button', { name: 'Edit events' }).click();
    expect(await row.getByLabel('gate.decided').isChecked()).toBe(true);
    await row.getByLabel('gate.decided').uncheck();
    await row.getByLabel('run.finished').check();
    const patched = page.waitForRequest((r) => r.url().endsWith(`/api/webhooks/${hook.id}`) && r.method() === 'PATCH');
    await row.getByRole('button', { name: 'Save events' }).click();
    expect((await patched).postDataJSON()).toEqual({ events: ['gate.opened', 'run.finished'] });
    await row.getByTestId('webhook-events').filter({ hasText: 'gate.opened, run.finished' }).waitFor();
    expect((await admin.get('/api/webhooks')).body[0]).toMatchObject({ events: ['gate.opened', 'run.finished'] });

    // Delete, after a confirm step.
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    expect((await admin.get('/api/webhooks')).body).toHaveLength(1);
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Confirm delete' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await admin.get('/api/webhooks')).body).toEqual([]);
  });

  it("is not offered to a non-admin, and the page shows the API's refusal", async () => {
    await signIn(page, stack.baseUrl, operatorKey);
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await page.goto(`${stack.baseUrl}/console/webhooks`);
    await expect(page.getByTestId('error').textContent()).resolves.toMatch(/^FORBIDDEN/);
    expect(await page.getByRole('button', { name: 'Register webhook' }).isDisabled()).toBe(true);
  });
});
