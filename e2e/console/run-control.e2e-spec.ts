import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateApiKey } from '@gatehouse/identity';
import { Stack } from '../../tools/test-support/stack';
import { Api, bearer, eventually } from '../support/http';
import { planGateOpen, runReaches, startRun } from '../support/scenario';
import { clickAndCapture, closeTraced, launchChromium, screenshot, signIn, tracedContext } from './browser';

/** Pause, resume and cancel from a run's page (DESIGN section 12), against the real stack. */
describe('console run control (e2e, Chromium)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  /** Starts the runs (so the admin may approve them: nobody approves their own run). */
  let requester: Api;
  let operator: { key: string; principal: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      Stack.start({ name: 'console-run-control', env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey } }),
      launchChromium(),
    ]);
    admin = new Api(stack.baseUrl, bearer(adminKey));
    const made = async (name: string, roles: string[]) => {
      const res = await admin.post('/api/keys', { name, roles });
      expect(res.status).toBe(201);
      return { key: res.body.key as string, principal: `key:${res.body.id}` };
    };
    requester = new Api(stack.baseUrl, bearer((await made('requester', ['reviewer'])).key));
    operator = await made('console-operator', ['operator']);
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

  async function runPageAtPlanGate(): Promise<string> {
    const wid = await startRun(requester);
    await planGateOpen(admin, wid);
    await signIn(page, stack.baseUrl, operator.key, `/console/runs/${wid}`);
    await page.getByTestId('gate-state-approve-plan').filter({ hasText: 'PENDING' }).waitFor();
    return wid;
  }

  const heldMessages = async (wid: string) =>
    (
      await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs.held_messages WHERE run_id = $1`, [wid])
    )[0].n;

  it('pauses with a reason, holds an approval while paused, and finishes live after resume', async () => {
    const wid = await runPageAtPlanGate();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    await page.getByTestId('control-reason').fill('checking the plan with legal');
    const pause = await clickAndCapture(page, () => page.getByRole('button', { name: 'Pause' }).click(), '/pause');
    expect(pause.postDataJSON()).toEqual({ reason: 'checking the plan with legal' });
    await page.getByTestId('run-paused').waitFor();
    await expect(page.getByTestId('paused-by').textContent()).resolves.toBe(
      `Paused by ${operator.principal}: checking the plan with legal`,
    );
    expect((await admin.get(`/api/runs/${wid}`)).body).toMatchObject({
      paused: true,
      pausedBy: operator.principal,
      pausedReason: 'checking the plan with legal',
    });
    expect(await page.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
    await screenshot(page, 'run-paused');

    // The approval is judged and recorded while the run is paused ...
    const reply = await admin.post(`/api/runs/${wid}/gates/approve-plan/reply`, {
      payload: { choice: 'yes', rationale: 'ok' },
      dedupeKey: `approve-${wid}`,
    });
    expect([reply.status, reply.body.state]).toEqual([200, 'RECEIVED']);
    await page.getByTestId('gate-state-approve-plan').filter({ hasText: 'RECEIVED' }).waitFor();
    // ... and once the runs service has taken the decision in (it holds it), the run has not moved.
    await eventually(async () => ((await heldMessages(wid)) === 1 ? true : undefined), 20_000, 'the held decision');
    expect((await admin.get(`/api/runs/${wid}`)).body).toMatchObject({
      status: 'PENDING',
      paused: true,
      lastStep: 'CompileST',
      nextAction: 'APPROVE_PLAN',
    });
    await expect(page.getByTestId('step-ApplyPatchST').textContent()).resolves.toBe('NOT STARTED');
    expect(await page.getByTestId('run-paused').count()).toBe(1);

    await page.getByTestId('control-reason').fill('legal said yes');
    const resume = await clickAndCapture(page, () => page.getByRole('button', { name: 'Resume' }).click(), '/resume');
    expect(resume.postDataJSON()).toEqual({ reason: 'legal said yes' });
    await page.getByTestId('run-status').filter({ hasText: 'SUCCESS' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('run-paused').count()).toBe(0);
    await expect(page.getByTestId('step-ExecuteST').textContent()).resolves.toBe('DONE');
    expect(navigations).toBe(0);
    expect((await admin.get(`/api/runs/${wid}`)).body).toMatchObject({ status: 'SUCCESS', paused: false });
  });

  it('asks before cancelling; keeping the run sends nothing; confirming cancels the run and its gate', async () => {
    const wid = await runPageAtPlanGate();
    const cancels: unknown[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith(`/api/runs/${wid}/cancel`)) cancels.push(r.postDataJSON());
    });
    const ask = page.getByRole('group', { name: /^Cancel this run\?/ });

    await page.getByRole('button', { name: 'Cancel run' }).click();
    await ask.waitFor();
    // The safe choice has the focus; Escape keeps the run too.
    await expect(page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).resolves.toBe(
      'Keep running',
    );
    await page.getByRole('button', { name: 'Keep running' }).click();
    await page.getByRole('button', { name: 'Cancel run' }).waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Cancel run' }).waitFor();
    expect(await ask.count()).toBe(0);
    expect(cancels).toEqual([]);
    expect((await admin.get(`/api/runs/${wid}`)).body.status).toBe('PENDING');

    await page.getByTestId('control-reason').fill('wrong repo');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await screenshot(page, 'run-cancel-confirm');
    const sent = await clickAndCapture(
      page,
      () => page.getByRole('button', { name: 'Confirm cancel' }).click(),
      '/cancel',
    );
    expect(sent.postDataJSON()).toEqual({ reason: 'wrong repo' });
    await page.getByTestId('run-status').filter({ hasText: 'CANCELLED' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('gate-state-approve-plan').filter({ hasText: 'CANCELLED' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: 'Cancel run' }).isDisabled()).toBe(true);
    expect(cancels).toHaveLength(1);
    const run = await runReaches(admin, wid, 'CANCELLED');
    expect(run.error).toMatchObject({ code: 'CANCELLED' });
    expect((await admin.get(`/api/runs/${wid}/gates/approve-plan`)).body.state).toBe('CANCELLED');
  });
});
