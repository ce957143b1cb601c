import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateApiKey } from '@gatehouse/identity';
import { ROOT } from '../tools/test-support/paths';
import { Stack } from '../tools/test-support/stack';
import { Api, eventually } from './support/http';
import { planGateOpen, startRun } from './support/scenario';

const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI's commands over the inbox, run control and webhook routes (DESIGN sections 12-14) against
 * the real stack under AUTH_MODE=required: filters reach the inbox, pause/resume/cancel act and are
 * refused with their codes, webhooks are registered, listed, rotated and deleted.
 */
describe('gatehouse CLI over the operator routes (e2e, AUTH_MODE=required)', () => {
  const adminKey = generateApiKey();
  let stack: Stack;
  let admin: Api;
  let receiver: Server;
  let strangerKey: string;

  function gatehouse(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    const base = { PATH: process.env.PATH, GATEHOUSE_URL: stack.baseUrl, GATEHOUSE_TOKEN: adminKey };
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { env: { ...base, ...env } as NodeJS.ProcessEnv, timeout: 60_000, encoding: 'utf8' },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
  }

  function expectExit(result: CliResult, code: number): CliResult {
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code });
    return result;
  }

  beforeAll(async () => {
    receiver = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    stack = await Stack.start({
      name: 'cli_ops',
      env: {
        AUTH_MODE: 'required',
        AUTH_BOOTSTRAP_ADMIN_KEY: adminKey,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_SECRET_KEY: 'a'.repeat(44),
      },
    });
    admin = new Api(stack.baseUrl, { authorization: `Bearer ${adminKey}` });
    strangerKey = (await admin.post('/api/keys', { name: 'stranger', roles: ['viewer'] })).body.key;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  it('pending lists open gates with their filters, as a table and as JSON', async () => {
    const wid = await startRun(admin, { recipeName: 'agent-plan', queuePartitionKey: 'tenant-cli' });
    await planGateOpen(admin, wid);
    const json = JSON.parse(expectExit(await gatehouse(['pending', '--partition', 'tenant-cli', '--json']), 0).stdout);
    expect(json.items.map((i: any) => i.workflowId)).toEqual([wid]);
    const table = expectExit(await gatehouse(['pending', '--partition', 'tenant-cli']), 0).stdout.split('\n');
    expect(table[0]).toMatch(/^RUN\s+GATE\s+TITLE\s+RISK\s+APPROVALS\s+DEADLINE$/);
    expect(table[1]).toMatch(new RegExp(`^${wid}\\s+approve-plan\\s+.+\\s+medium\\s+0/1\\s+in \\d+m$`));
    const none = JSON.parse(
      expectExit(await gatehouse(['pending', '--partition', 'tenant-cli', '--risk', 'critical', '--json']), 0).stdout,
    );
    expect(none.items).toEqual([]);
    expect(expectExit(await gatehouse(['pending', '--limit', '0']), 2).stderr).toContain('400 INVALID_LIMIT');
    expect(expectExit(await gatehouse(['pending', '--cursor', 'nope']), 2).stderr).toContain('400 INVALID_CURSOR');
  });

  it('pause, resume and cancel a run; a stranger is refused with 4, an ended run with 5', async () => {
    const wid = await startRun(admin);
    await planGateOpen(admin, wid);
    const paused = JSON.parse(
      expectExit(await gatehouse(['pause', wid, '--reason', 'maintenance', '--json']), 0).stdout,
    );
    expect(paused).toMatchObject({ workflowID: wid, action: 'pause', changed: true, paused: true });
    const status = expectExit(await gatehouse(['status', wid]), 0).stdout;
    expect(status).toMatch(/^paused\s+by \S+ at \S+: maintenance$/m);
    expect(expectExit(await gatehouse(['pause', wid, '--reason', 'again']), 0).stdout).toContain('was already paused');
    expect(
      expectExit(await gatehouse(['resume', wid, '--reason', 'done'], { GATEHOUSE_TOKEN: strangerKey }), 4).stderr,
    ).toContain('403 RUN_CONTROL_FORBIDDEN');
    expect(expectExit(await gatehouse(['resume', wid, '--reason', 'done']), 0).stdout).toContain(`run ${wid} resumed`);
    expect(expectExit(await gatehouse(['cancel', wid, '--reason', 'wrong target', '--yes']), 0).stdout).toContain(
      `run ${wid} cancelled (status CANCELLED)`,
    );
    await eventually(
      async () => (await admin.get(`/api/runs/${wid}`)).body.status === 'CANCELLED' || undefined,
      20_000,
      'cancel',
    );
    expectExit(await gatehouse(['status', wid, '--exit-status']), 1);
    expect(expectExit(await gatehouse(['pause', wid, '--reason', 'late']), 5).stderr).toContain('409 RUN_FINISHED');
    expect(
      expectExit(await gatehouse(['pause', '00000000-0000-4000-8000-000000000000', '--reason', 'x']), 3).stderr,
    ).toContain('404 RUN_NOT_FOUND');
  });

  it('registers, lists, rotates, disables and deletes a webhook', async () => {
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const made = JSON.parse(
      expectExit(
        await gatehouse([
          'webhooks',
          'create',
          '--endpoint',
          endpoint,
          '--event',
          'gate.opened',
          'run.finished',
          '--json',
        ]),
        0,
      ).stdout,
    );
    expect(made).toMatchObject({ url: endpoint, events: ['gate.opened', 'run.finished'], secret: expect.any(String) });
    const list = expectExit(await gatehouse(['webhooks', 'list']), 0).stdout;
    expect(list).toMatch(new RegExp(`^${made.id}\\s+${endpoint}\\s+gate.opened,run.finished\\s+yes$`, 'm'));
    const rotated = expectExit(await gatehouse(['webhooks', 'rotate', made.id]), 0).stdout;
    expect(rotated).toMatch(/^secret: \S+$/m);
    expect(rotated).not.toContain(made.secret);
    expect(expectExit(await gatehouse(['webhooks', 'disable', made.id]), 0).stdout).toContain('disabled');
    const deliveries = JSON.parse(expectExit(await gatehouse(['webhooks', 'deliveries', made.id, '--json']), 0).stdout);
    expect(Array.isArray(deliveries.items)).toBe(true);
    expect(JSON.parse(expectExit(await gatehouse(['webhooks', 'redeliver', made.id, '--json']), 0).stdout)).toEqual({
      redelivered: expect.any(Number),
    });
    expectExit(await gatehouse(['webhooks', 'delete', made.id, '--yes']), 0);
    expect(expectExit(await gatehouse(['webhooks', 'rotate', made.id]), 3).stderr).toContain('404 WEBHOOK_NOT_FOUND');
    expect(expectExit(await gatehouse(['webhooks', 'list'], { GATEHOUSE_TOKEN: strangerKey }), 4).stderr).toContain(
      '403 FORBIDDEN',
    );
  });
});
