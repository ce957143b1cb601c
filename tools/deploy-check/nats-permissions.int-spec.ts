import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjectFilters } from '@gatehouse/contracts';
import { CONSUMERS, provisionStreams } from '@gatehouse/messaging';
import { freePort } from '../test-support/free-port';
import { natsProcess, type NatsServerHandle } from '../test-support/nats-server';
import { scratchDir } from '../test-support/paths';
import { DEPLOY_DIR, readYamlDocuments } from './kustomize-build';

interface NatsUser {
  user: string;
  password: string;
  permissions: unknown;
}

/**
 * The users and subject permissions of deploy/helm/nats-values.yaml on a real nats-server (the
 * machine's 2.9): the authorization block as the chart renders it, with test passwords in place of
 * the Secret's. Each process connects as its own user with its own inbox prefix and is allowed
 * exactly what the matrix of DESIGN section 10 says.
 */
describe('NATS permission matrix of the Helm values (real nats-server)', () => {
  const values = readYamlDocuments(join(DEPLOY_DIR, 'helm', 'nats-values.yaml'))[0] as any;
  const users: NatsUser[] = values.config.merge.authorization.users.map((u: NatsUser) => ({
    ...u,
    password: `pw-${u.user}`,
  }));
  let server: NatsServerHandle;
  const open: NatsConnection[] = [];

  const as = async (name: string): Promise<NatsConnection> => {
    const nc = await connect({
      servers: server.url,
      user: name,
      pass: `pw-${name}`,
      inboxPrefix: `_INBOX.${name}`,
      timeout: 2000,
    });
    open.push(nc);
    return nc;
  };

  beforeAll(async () => {
    const port = await freePort();
    const dir = scratchDir('nats', `permissions-${port}`);
    rmSync(dir, { recursive: true, force: true });
    const conf = join(scratchDir('nats'), `permissions-${port}.conf`);
    // nats-server reads JSON as configuration. Only the authorization block: sync_interval is 2.10+.
    writeFileSync(conf, `authorization ${JSON.stringify({ users })}\n`);
    server = natsProcess({
      port,
      storeDir: dir,
      logFile: join(scratchDir('nats'), `permissions-${port}.log`),
      args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, '-c', conf],
    });
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await as('provisioner');
        // The migrate Job's user provisions every stream and durable consumer.
        await provisionStreams(nc);
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    await server?.stop();
  });

  /** A JetStream publish that the stream acknowledges (allowed) or that never arrives (denied). */
  const jsPublishes = async (nc: NatsConnection, subject: string): Promise<boolean> =>
    jetstream(nc)
      .publish(subject, 'x', { timeout: 1000 })
      .then(
        () => true,
        () => false,
      );

  /** Whether the server lets this connection subscribe: a denied subscription closes with an error. */
  const subscribes = async (nc: NatsConnection, subject: string): Promise<boolean> => {
    const sub = nc.subscribe(subject);
    const closed = await Promise.race([sub.closed, nc.flush().then(() => new Promise((r) => setTimeout(r, 200)))]);
    if (closed instanceof Error) return false;
    sub.unsubscribe();
    return true;
  };

  it('lets each service publish its own facts and no other service’s', async () => {
    const runs = await as('runs');
    const gates = await as('gates');
    const escalation = await as('escalation');
    const gateway = await as('gateway');
    expect(await jsPublishes(runs, 'evt.runs.gate-requested.w1.g')).toBe(true);
    expect(await jsPublishes(runs, 'q.sbxQ.tenant-a')).toBe(true);
    expect(await jsPublishes(runs, 'evt.gates.gate-decided.w1.g')).toBe(false);
    expect(await jsPublishes(runs, 'sys.gatehouse.gate-opened')).toBe(false);
    expect(await jsPublishes(gates, 'evt.gates.gate-decided.w1.g')).toBe(true);
    expect(await jsPublishes(gates, 'sys.gatehouse.gate-opened')).toBe(true);
    expect(await jsPublishes(gates, 'evt.runs.gate-requested.w1.g')).toBe(false);
    expect(await jsPublishes(gates, 'q.intentQ.tenant-a')).toBe(false);
    expect(await jsPublishes(escalation, 'evt.escalation.deadline-passed.w1.g')).toBe(true);
    expect(await jsPublishes(escalation, 'evt.gates.gate-decided.w1.g')).toBe(false);
    expect(await jsPublishes(gateway, 'evt.gates.gate-decided.w1.g')).toBe(false);
    expect(await jsPublishes(gateway, 'human.w1.g')).toBe(false);
  });

  it('lets a service answer only its own rpc, and the gateway request every service', async () => {
    const runs = await as('runs');
    const gateway = await as('gateway');
    const responder = runs.subscribe('rpc.runs.>', {
      queue: 'runs',
      callback: (_err, msg) => void msg.respond('pong'),
    });
    await runs.flush();
    const reply = await gateway.request('rpc.runs.health', '', { timeout: 2000 });
    expect(reply.string()).toBe('pong');
    responder.unsubscribe();
    expect(await subscribes(runs, 'rpc.gates.>')).toBe(false);
    // What the gateway listens to: gates decided or cancelled (long-polls), run snapshots (status stream).
    for (const filter of [subjectFilters.gateDecided, subjectFilters.gateCancelled, subjectFilters.runUpdated]) {
      expect({ filter, allowed: await subscribes(gateway, filter) }).toEqual({ filter, allowed: true });
    }
    expect(await subscribes(gateway, 'human.>')).toBe(false);
    // Replies come back on the requester's own inbox prefix, which no other service can read.
    expect(await subscribes(runs, '_INBOX.gateway.>')).toBe(false);
    expect(await subscribes(runs, '_INBOX.>')).toBe(false);
  });

  it('lets each durable consumer be pulled and acknowledged by its owner only', async () => {
    const runs = await as('runs');
    const gates = await as('gates');
    const own = await jetstream(runs).consumers.get(
      CONSUMERS.runsSandboxQueue.stream,
      CONSUMERS.runsSandboxQueue.durable,
    );
    const msg = await own.next({ expires: 2000 });
    expect(msg?.subject).toBe('q.sbxQ.tenant-a');
    expect(await msg!.ackAck()).toBe(true);
    await expect(
      jetstream(runs).consumers.get(CONSUMERS.gatesGateRequested.stream, CONSUMERS.gatesGateRequested.durable),
    ).rejects.toThrow();
    await expect(
      jetstream(gates).consumers.get(CONSUMERS.runsSandboxQueue.stream, CONSUMERS.runsSandboxQueue.durable),
    ).rejects.toThrow();
  });

  it('lets outside publishers publish human replies only, and listeners read sys.> only', async () => {
    const publisher = await as('hitl-publisher');
    const listener = await as('listener');
    expect(await jsPublishes(publisher, 'human.w1.approve-plan')).toBe(true);
    expect(await jsPublishes(publisher, 'sys.gatehouse.gate-opened')).toBe(false);
    expect(await jsPublishes(publisher, 'evt.gates.gate-decided.w1.g')).toBe(false);
    expect(await subscribes(listener, 'sys.>')).toBe(true);
    expect(await subscribes(listener, 'evt.>')).toBe(false);
    expect(await subscribes(listener, 'human.>')).toBe(false);
    const gates = await as('gates');
    const heard = new Promise<string>((resolve) =>
      listener.subscribe('sys.>', { callback: (_err, m) => resolve(m.subject) }),
    );
    await listener.flush();
    gates.publish('sys.gatehouse.gate-decided', '{}');
    expect(await heard).toBe('sys.gatehouse.gate-decided');
  });
});
