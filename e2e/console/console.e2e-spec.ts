import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../../tools/test-support/stack';
import { Api, bearer } from '../support/http';
import { planGateOpen, runReaches, startRun } from '../support/scenario';
import { clickAndCapture, closeTraced, launchChromium, screenshot, signIn, tracedContext } from './browser';

/**
 * The web console in headless Chromium against the real stack (AUTH_MODE=required): sign-in, the
 * run and gate pages live, decisions with rationale and patch, double clicks, stale pages, roles.
 */
describe('web console (e2e, Chromium)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  let operator: { id: string; key: string };
  let viewer: { id: string; key: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      Stack.start({ name: 'console', env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey } }),
      launchChromium(),
    ]);
    admin = new Api(stack.baseUrl, bearer(adminKey));
    operator = (await admin.post('/api/keys', { name: 'console-operator', roles: ['operator'] })).body;
    viewer = (await admin.post('/api/keys', { name: 'console-viewer', roles: ['viewer'] })).body;
    expect(operator.key).toBeDefined();
    expect(viewer.key).toBeDefined();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  beforeEach(async () => {
    context = await tracedContext(browser);
    page = await context.newPage();
  });

  afterEach(async () => {
    await closeTraced(context);
  });

  /** A run of the operator's, waiting at its plan gate. */
  async function runAtPlanGate(): Promise<string> {
    const api = new Api(stack.baseUrl, bearer(operator.key));
    const wid = await startRun(api);
    await planGateOpen(api, wid);
    return wid;
  }

  it('serves the page publicly (strict CSP, client routes, 404 for a missing file); the API still needs a credential', async () => {
    const root = await fetch(`${stack.baseUrl}/console/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
    expect(root.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(root.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await root.text();
    expect(html).toContain('<div id="root">');
    const route = await fetch(`${stack.baseUrl}/console/runs/abc/gates/approve-plan`);
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(html);
    const asset = html.match(/src="(\/console\/assets\/[^"]+\.js)"/)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${stack.baseUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${stack.baseUrl}/console/assets/gone-1234.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe('ROUTE_NOT_FOUND');
    expect((await fetch(`${stack.baseUrl}/api/whoami`)).status).toBe(401);
  });

  it('signs in with a key kept for the tab only, refuses a wrong one with the API message, and signs out', async () => {
    await page.goto(`${stack.baseUrl}/console/`);
    await page.getByLabel('API key or token').fill('gatehouse_key_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('error').textContent()).resolves.toContain('UNAUTHENTICATED');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);

    await page.getByLabel('API key or token').fill(operator.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toContain('console-operator');
    expect(await page.evaluate(() => Object.values((globalThis as any).sessionStorage))).toEqual([operator.key]);
    // A reload keeps the session; the key is never in the address.
    await page.reload();
    await page.getByTestId('signed-in-as').waitFor();
    expect(page.url()).not.toContain(operator.key);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key or token').waitFor();
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
  });

  it('approves a gate with a rationale and watches the run finish, live', async () => {
    const wid = await runAtPlanGate();
    await signIn(page, stack.baseUrl, adminKey, `/console/runs/${wid}`);
    await page.getByTestId('gate-state-approve-plan').filter({ hasText: 'PENDING' }).waitFor();
    await screenshot(page, 'run-waiting');
    await page.getByRole('link', { name: 'approve-plan' }).click();
    await page.getByTestId('gate-state').filter({ hasText: 'PENDING' }).waitFor();
    await page.getByTestId('rationale').fill('plan reviewed, looks safe');
    await screenshot(page, 'gate');

    const sent = await clickAndCapture(page, () => page.getByTestId('choice-yes').click(), '/gates/approve-plan/reply');
    const body = sent.postDataJSON();
    expect(body.payload).toEqual({ choice: 'yes', rationale: 'plan reviewed, looks safe' });
    expect(body.dedupeKey).toMatch(/^console-[0-9a-f-]{36}$/);
    await page.getByTestId('reply-outcome').filter({ hasText: 'RECEIVED' }).waitFor();
    // The decided gate says who decided it, and the history shows the ledger row and the audit entry.
    await expect(page.getByTestId('decided').textContent()).resolves.toMatch(/approve by key:/);
    await page.getByTestId('ledger').getByText(body.dedupeKey).waitFor();
    await page.getByTestId('audit').getByText(body.dedupeKey).first().waitFor();

    await page.getByRole('link', { name: /^Run / }).click();
    await page.getByTestId('run-status').filter({ hasText: 'SUCCESS' }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('tasks').textContent()).resolves.toMatch(/^5 done/);
    await screenshot(page, 'run-finished');
    expect((await admin.get(`/api/runs/${wid}`)).body.status).toBe('SUCCESS');
  });

  it('updates an open run page when another principal decides (no reload)', async () => {
    const wid = await runAtPlanGate();
    await signIn(page, stack.baseUrl, viewer.key, `/console/runs/${wid}`);
    await page.getByTestId('gate-state-approve-plan').filter({ hasText: 'PENDING' }).waitFor();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    const reply = await admin.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `api-${wid}`,
    });
    expect(reply.status).toBe(200);
    await page.getByTestId('gate-state-approve-plan').filter({ hasText: 'RECEIVED' }).waitFor();
    await page.getByTestId('run-status').filter({ hasText: 'SUCCESS' }).waitFor({ timeout: 30_000 });
    expect(navigations).toBe(0);
  });

  it('sends one reply for a double click: the dedupe key is fixed when the form opens', async () => {
    const wid = await runAtPlanGate();
    await signIn(page, stack.baseUrl, adminKey, `/console/runs/${wid}/gates/approve-plan`);
    const replies: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/reply')) replies.push(r.postDataJSON().dedupeKey);
    });
    const key = await page.getByTestId('dedupe-key').textContent();
    await page.getByTestId('choice-yes').dblclick();
    await page.getByTestId('reply-outcome').waitFor();
    expect(replies.length).toBeGreaterThanOrEqual(1);
    expect(new Set(replies)).toEqual(new Set([key]));
    const rows = await stack.db.query(
      `SELECT dedupe_key FROM gates.human_interactions WHERE workflow_id = $1 AND gate_key = 'approve-plan'`,
      [wid],
    );
    expect(rows).toEqual([{ dedupe_key: key }]);
  });

  it('rejects with a rationale: the run ends ERROR REJECTED and its page says why', async () => {
    const wid = await runAtPlanGate();
    await signIn(page, stack.baseUrl, adminKey, `/console/runs/${wid}/gates/approve-plan`);
    await page.getByTestId('rationale').fill('touches production on a Friday');
    const sent = await clickAndCapture(page, () => page.getByTestId('choice-no').click(), '/reply');
    expect(sent.postDataJSON().payload).toEqual({ choice: 'no', rationale: 'touches production on a Friday' });
    await page.getByTestId('decided-rationale').filter({ hasText: 'touches production on a Friday' }).waitFor();
    await page.getByRole('link', { name: /^Run / }).click();
    await page.getByTestId('run-status').filter({ hasText: 'ERROR' }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('run-error').textContent()).resolves.toMatch(
      /REJECTED.*touches production on a Friday/,
    );
    await runReaches(admin, wid, 'ERROR');
  });

  it('previews a patch, refuses one that does not apply, and sends it with the vote; the plan gets a version 2', async () => {
    const wid = await runAtPlanGate();
    await signIn(page, stack.baseUrl, adminKey, `/console/runs/${wid}/gates/approve-plan`);
    await page.getByTestId('patch').fill('[{"op": "replace", "path": "/steps/99/action", "value": "x"}]');
    await page.getByTestId('patch-problem').waitFor();
    expect(await page.getByTestId('choice-yes').isDisabled()).toBe(true);
    await page.getByTestId('patch').fill('[{"op": "nope');
    await expect(page.getByTestId('patch-problem').textContent()).resolves.toContain('not JSON');

    const patch = [{ op: 'replace', path: '/steps/0/detail', value: 'analyze with care' }];
    await page.getByTestId('patch').fill(JSON.stringify(patch));
    await expect(page.getByTestId('patch-diff').textContent()).resolves.toContain('/steps/0/detail');
    await expect(page.getByTestId('patched-plan').textContent()).resolves.toContain('analyze with care');
    await screenshot(page, 'gate-patch-preview');
    const sent = await clickAndCapture(page, () => page.getByTestId('choice-yes').click(), '/reply');
    expect(sent.postDataJSON().payload).toEqual({ choice: 'yes', patch });
    await page.getByTestId('plan-version-2').click();
    await expect(page.getByTestId('version-diff').textContent()).resolves.toContain('/steps/0/detail');
    await expect(page.getByTestId('plan').textContent()).resolves.toContain('analyze with care');
    await runReaches(admin, wid, 'SUCCESS');
  });

  it("shows the API's refusal on a stale page (GATE_CLOSED), then who decided", async () => {
    const wid = await runAtPlanGate();
    // The page's live streams are cut, so it does not hear of the decision below: a stale page.
    await page.route('**/stream/**', (route) => route.abort());
    await signIn(page, stack.baseUrl, adminKey, `/console/runs/${wid}/gates/approve-plan`);
    await page.getByTestId('gate-state').filter({ hasText: 'PENDING' }).waitFor();
    // Someone other than the run's requester (the operator) approves: it may not approve its own run.
    const approver = (await admin.post('/api/keys', { name: 'console-approver', roles: ['operator'] })).body;
    const other = new Api(stack.baseUrl, bearer(approver.key));
    expect(
      (
        await other.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
          payload: { choice: 'yes' },
          dedupeKey: 'other-1',
        })
      ).status,
    ).toBe(200);
    await page.getByTestId('rationale').fill('too late');
    const answered = page.waitForResponse((r) => r.url().endsWith('/reply'));
    await page.getByTestId('choice-no').click();
    expect((await answered).status()).toBe(409);
    await expect(page.getByTestId('error').textContent()).resolves.toMatch(/^GATE_CLOSED/);
    await screenshot(page, 'gate-refused');
    await page.reload();
    await expect(page.getByTestId('decided').textContent()).resolves.toContain(`approve by key:${approver.id}`);
    expect(await page.getByTestId('choice-no').isDisabled()).toBe(true);
  });

  it('disables what a role may not use, and a refused request shows its error', async () => {
    const wid = await runAtPlanGate();
    await signIn(page, stack.baseUrl, viewer.key, `/console/runs/${wid}`);
    await page.getByTestId('run-status').waitFor();
    for (const name of ['Pause', 'Resume', 'Cancel run']) {
      expect(await page.getByRole('button', { name }).isDisabled()).toBe(true);
    }
    expect(await page.getByRole('link', { name: 'Keys' }).count()).toBe(0);
    await page.goto(`${stack.baseUrl}/console/keys`);
    await expect(page.getByTestId('error').textContent()).resolves.toMatch(/^FORBIDDEN/);
    expect(await page.getByRole('button', { name: 'Create key' }).isDisabled()).toBe(true);
  });

  it('lets an admin create a key (shown once) and revoke it', async () => {
    await signIn(page, stack.baseUrl, adminKey, '/console/keys');
    await page.getByLabel('Name').fill('pager-bot');
    await page.getByLabel('Roles').fill('operator, devops_engineer');
    const sent = await clickAndCapture(
      page,
      () => page.getByRole('button', { name: 'Create key' }).click(),
      '/api/keys',
    );
    expect(sent.postDataJSON()).toEqual({ name: 'pager-bot', roles: ['operator', 'devops_engineer'] });
    const key = await page.getByTestId('new-key').textContent();
    expect(key).toMatch(/^gatehouse_key_/);
    const check = new Api(stack.baseUrl, bearer(key!));
    expect((await check.get('/api/whoami')).body).toMatchObject({
      name: 'pager-bot',
      roles: ['operator', 'devops_engineer'],
    });
    await screenshot(page, 'keys');

    page.once('dialog', (d) => void d.accept());
    const row = page.getByTestId('key-pager-bot');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke' }).and(page.locator(':disabled')).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('new-key').count()).toBe(0);
  });
});
