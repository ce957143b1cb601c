import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateApiKey } from '@gatehouse/identity';
import { scratchDir } from '../../tools/test-support/paths';
import { Stack } from '../../tools/test-support/stack';
import { Api, bearer, eventually } from '../support/http';
import { planGateOpen, startRun } from '../support/scenario';
import { closeTraced, launchChromium, screenshot, signIn, tracedContext } from './browser';

/** The console's inbox over GET /api/gates (DESIGN section 14), live through GET /api/stream/gates. */
describe('console inbox (e2e, Chromium)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    // Deploys' plan gates are high risk; every other recipe's are medium (the default).
    const policyFile = join(scratchDir('console', `inbox-policy-${Date.now()}`), 'gate-policy.json');
    writeFileSync(policyFile, JSON.stringify({ recipes: { deploy: { 'approve-plan': { riskLevel: 'high' } } } }));
    [stack, browser] = await Promise.all([
      Stack.start({
        name: 'console-inbox',
        env: { AUTH_MODE: 'required', AUTH_BOOTSTRAP_ADMIN_KEY: adminKey, GATE_POLICY_FILE: policyFile },
      }),
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

  describe('filters kept in the address', () => {
    let deploy: string;
    let plan: string;
    const ids = (body: { items: { workflowId: string }[] }) => body.items.map((i) => i.workflowId);
    /** The runs of the rows the page shows, top to bottom. */
    const shown = () =>
      page
        .locator('[data-testid="inbox"] tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid')!.replace('inbox-item-', '')));
    const filterInputs = async () => ({
      risk: await page.getByLabel('Risk').inputValue(),
      recipe: await page.getByLabel('Recipe').inputValue(),
      partition: await page.getByLabel('Partition').inputValue(),
      age: await page.getByLabel('Waiting longer than').inputValue(),
    });

    /**
     * Does `act`, and checks that the page asked GET /api/gates with exactly `filters` (besides state and
     * limit), that its address carries them, and that its rows are the API's answer to that query.
     */
    async function filterBy(act: () => Promise<unknown>, filters: Record<string, string>): Promise<string[]> {
      /** Parameters in a stable order (a shared address may list them in any order). */
      const sorted = (params: URLSearchParams) => {
        for (const key of ['state', 'limit']) params.delete(key);
        params.sort();
        return params.toString();
      };
      const want = sorted(new URLSearchParams(filters));
      const asked = page.waitForRequest(
        (r) => r.url().includes('/api/gates?') && sorted(new URL(r.url()).searchParams) === want,
      );
      await act();
      await asked;
      expect(sorted(new URL(page.url()).searchParams)).toBe(want);
      const answer = await admin.get(`/api/gates?state=PENDING&${want}`);
      expect(answer.status).toBe(200);
      const expected = ids(answer.body);
      await eventually(
        async () => (JSON.stringify(await shown()) === JSON.stringify(expected) ? true : undefined),
        10_000,
        `rows for ${want}`,
      ).catch(async (err) => {
        throw new Error(`${err}; shown ${JSON.stringify(await shown())}, the API says ${JSON.stringify(expected)}`);
      });
      return expected;
    }

    beforeAll(async () => {
      deploy = await startRun(admin, { recipeName: 'deploy', queuePartitionKey: 'tenant-b' });
      plan = await startRun(admin);
      await Promise.all([planGateOpen(admin, deploy), planGateOpen(admin, plan)]);
    }, 60_000);

    it('filters by risk, recipe, partition and age, as the API answers the same query', async () => {
      await page.goto(`${stack.baseUrl}/console/`);
      await page.getByTestId('inbox').waitFor();

      expect(await filterBy(() => page.getByLabel('Risk').selectOption('high'), { riskLevel: 'high' })).toEqual([
        deploy,
      ]);
      await expect(page.getByTestId('inbox-count').textContent()).resolves.toBe('1 gate shown, all that match.');
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.getByRole('button', { name: 'Clear filters' }).waitFor({ state: 'detached' });

      // Text fields apply on Enter (the keyboard) or with Apply, not on each keystroke.
      const byRecipe = await filterBy(
        async () => {
          await page.getByLabel('Recipe').fill('deploy');
          await page.getByLabel('Recipe').press('Enter');
        },
        { recipe: 'deploy' },
      );
      expect(byRecipe).toEqual([deploy]);
      await page.getByLabel('Recipe').fill('');
      const byPartition = await filterBy(
        async () => {
          await page.getByLabel('Partition').fill('tenant-a');
          await page.getByRole('button', { name: 'Apply' }).click();
        },
        { partition: 'tenant-a' },
      );
      expect(byPartition).toContain(plan);
      expect(byPartition).not.toContain(deploy);
      const count = (await page.getByTestId('inbox-count').textContent())!;
      expect(count).toBe(`${byPartition.length} gates shown, all that match.`);

      // Nothing here is an hour old.
      expect(
        await filterBy(() => page.getByLabel('Waiting longer than').selectOption({ label: '1 h' }), {
          partition: 'tenant-a',
          olderThanS: '3600',
        }),
      ).toEqual([]);
      await expect(page.getByTestId('inbox-empty').textContent()).resolves.toBe('No gate matches these filters.');
      await screenshot(page, 'inbox-filtered');

      // A reload keeps the filters (they are in the address); back restores the previous ones.
      await filterBy(() => page.reload(), { partition: 'tenant-a', olderThanS: '3600' });
      expect(await filterInputs()).toEqual({ risk: '', recipe: '', partition: 'tenant-a', age: '3600' });
      expect(await filterBy(() => page.goBack(), { partition: 'tenant-a' })).toEqual(byPartition);
      expect(await filterInputs()).toEqual({ risk: '', recipe: '', partition: 'tenant-a', age: '' });
      expect(await filterBy(() => page.goBack(), { recipe: 'deploy' })).toEqual([deploy]);
      expect(await filterInputs()).toEqual({ risk: '', recipe: 'deploy', partition: '', age: '' });
      await filterBy(() => page.goForward(), { partition: 'tenant-a' });
      expect(await filterInputs()).toEqual({ risk: '', recipe: '', partition: 'tenant-a', age: '' });
    });

    it("opens a shared address, and shows the API's error for a bad value in it", async () => {
      expect(
        await filterBy(() => page.goto(`${stack.baseUrl}/console/?riskLevel=high&recipe=deploy`), {
          recipe: 'deploy',
          riskLevel: 'high',
        }),
      ).toEqual([deploy]);

      const refused = await admin.get('/api/gates?riskLevel=banana');
      expect(refused.status).toBe(400);
      await page.goto(`${stack.baseUrl}/console/?riskLevel=banana`);
      await expect(page.getByTestId('error').textContent()).resolves.toBe(
        `${refused.body.error} ${refused.body.message}`,
      );
      expect(refused.body.error).toBe('INVALID_FILTER');
      expect(await page.getByLabel('Risk').inputValue()).toBe('banana');
      expect(await page.getByTestId('inbox').count()).toBe(0);
      // Choosing a good value from the page mends it.
      await filterBy(() => page.getByLabel('Risk').selectOption('high'), { riskLevel: 'high' });
      expect(await page.getByTestId('error').count()).toBe(0);
    });

    it('says how many gates it shows and whether more match, and loads the next page', async () => {
      const pending = async () => (await admin.get('/api/gates?limit=200')).body.items.length as number;
      const wids = await Promise.all(
        Array.from({ length: Math.max(0, 51 - (await pending())) }, () => startRun(admin)),
      );
      await Promise.all(wids.map((wid) => planGateOpen(admin, wid)));
      const first = await admin.get('/api/gates?limit=50');
      const second = await admin.get(`/api/gates?limit=50&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      const all = [...ids(first.body), ...ids(second.body)];
      expect(all.length).toBe(await pending());

      // The page reads once on opening and again when its gate feed connects; that second read starts the
      // list over, so "Load more" is pressed after it.
      let reads = 0;
      const counted = (r: { url(): string }) => void (r.url().includes('/api/gates?') && reads++);
      page.on('response', counted);
      await page.goto(`${stack.baseUrl}/console/`);
      await eventually(async () => (reads >= 2 ? true : undefined), 10_000, 'the first two reads');
      page.off('response', counted);
      await page.getByTestId('inbox-count').filter({ hasText: '50 gates shown; more match.' }).waitFor();
      expect(await shown()).toEqual(ids(first.body));
      await page.getByRole('button', { name: 'Load 50 more' }).click();
      await page
        .getByTestId('inbox-count')
        .filter({ hasText: `${all.length} gates shown, all that match.` })
        .waitFor();
      expect(await shown()).toEqual(all);
      expect(await page.getByRole('button', { name: 'Load 50 more' }).count()).toBe(0);

      // Another gate opens (its deadline is the latest, so it sorts last): the live re-read reads every
      // row shown again in one request, so the rows loaded with "Load more" stay on screen.
      const reread = page.waitForResponse(
        (r) => r.url().includes('/api/gates?') && new URL(r.url()).searchParams.get('limit') === String(all.length),
      );
      await planGateOpen(admin, await startRun(admin));
      await reread;
      await page
        .getByTestId('inbox-count')
        .filter({ hasText: `${all.length} gates shown; more match.` })
        .waitFor();
      expect(await shown()).toEqual(ids((await admin.get(`/api/gates?limit=${all.length}`)).body));
    });
  });
});
