import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { PLAN_GATE_KEY, subjects, sysSubjects, topicSubjects } from '@gatehouse/contracts';
import { validateEnv, CommonEnv } from '@gatehouse/contracts';
import { createTestDatabase } from '../../../../tools/test-support/database';
import { startSecuredNatsServer, type SecuredNatsServer } from '../../../../tools/test-support/nats-secured';
import { prepareInfrastructure } from '../nest/bootstrap-service';
import { STREAMS } from './definitions';
import { natsConnectionOptions } from './nats-connection';
import { provisionStreams } from './provision';

/**
 * The shipped NATS users and permissions (deploy/nats/auth.conf) on a real nats-server: who may not
 * connect, what a forger cannot publish, and what the declared outside parties may do.
 */
/** bcrypt of 'listener-bcrypt-test-password'. */
const LISTENER_BCRYPT = '$2b$10$1XYhyrEo.5muuycrtR1ZLOcFQzzZUBKpyHgHwBTg3.YpRCxHMKRm6';

describe('NATS permission matrix (deploy/nats/auth.conf)', () => {
  let nats: SecuredNatsServer;
  const conns: NatsConnection[] = [];

  const as = async (user: string): Promise<NatsConnection> => {
    const nc = await connect({ servers: nats.url, ...nats.creds(user), timeout: 2000 });
    conns.push(nc);
    return nc;
  };

  /** Messages a core subscription receives, collected until the test reads them. */
  const collect = (sub: Subscription): string[] => {
    const seen: string[] = [];
    void (async () => {
      for await (const m of sub) seen.push(m.subject);
    })().catch(() => undefined);
    return seen;
  };

  const streamMessages = async (stream: string): Promise<number> => {
    const jsm = await jetstreamManager(await as('provisioner'));
    return (await jsm.streams.info(stream)).state.messages;
  };

  const forgedDecision = (wid: string) =>
    JSON.stringify({ workflowId: wid, gateKey: PLAN_GATE_KEY, decision: 'approve', by: 'human', actor: 'mallory' });

  beforeAll(async () => {
    // The listener's password reaches the server as a bcrypt hash (cost 10), as an operator may set it.
    nats = await startSecuredNatsServer('nats-permissions', {
      hashedPasswords: {
        listener: { serverValue: LISTENER_BCRYPT, password: 'listener-bcrypt-test-password' },
      },
    });
    // The provisioner identity creates every stream and consumer; no service user could.
    await provisionStreams(await as('provisioner'));
  });

  afterAll(async () => {
    await Promise.all(conns.map((nc) => nc.close().catch(() => undefined)));
    await nats?.stop();
  });

  describe('refuses undeclared clients', () => {
    it('without credentials', async () => {
      await expect(connect({ servers: nats.url, timeout: 2000 })).rejects.toThrow(/authorization/i);
    });

    it('with a wrong password or an unknown user', async () => {
      await expect(
        connect({ servers: nats.url, user: 'runs', pass: 'not-the-password', timeout: 2000 }),
      ).rejects.toThrow(/authorization/i);
      await expect(connect({ servers: nats.url, user: 'mallory', pass: 'x', timeout: 2000 })).rejects.toThrow(
        /authorization/i,
      );
    });

    it('takes a bcrypt hash as the server-side password: the clear password connects, the hash does not', async () => {
      await expect(as('listener')).resolves.toBeDefined();
      await expect(
        connect({ servers: nats.url, user: 'listener', pass: LISTENER_BCRYPT, timeout: 2000 }),
      ).rejects.toThrow(/authorization/i);
    });

    it('with a declared user whose password is set but empty', async () => {
      await expect(connect({ servers: nats.url, user: 'gates', pass: '', timeout: 2000 })).rejects.toThrow(
        /authorization/i,
      );
    });
  });

  describe('the forged gate decision', () => {
    it.each(['hitl-publisher', 'runs', 'escalation', 'gateway'])(
      'is refused as a permissions violation for %s, and nobody receives it',
      async (forger) => {
        const wid = randomUUID();
        const watcher = collect((await as('gateway')).subscribe(`evt.gates.gate-decided.${wid}.>`));
        await (await as('gateway')).flush();
        const before = await streamMessages(STREAMS.events.name);

        const js = jetstream(await as(forger));
        const err = await js.publish(subjects.gateDecided(wid, PLAN_GATE_KEY), forgedDecision(wid)).then(
          () => null,
          (e: unknown) => e as Error,
        );
        // The client wraps the server's -ERR in a RequestError whose cause says what was refused.
        const cause = (err?.cause ?? err) as (Error & { operation?: string; subject?: string }) | null;
        expect(cause?.name).toBe('PermissionViolationError');
        expect(cause?.message).toMatch(/permissions violation for publish/i);
        expect(cause).toMatchObject({ operation: 'publish', subject: subjects.gateDecided(wid, PLAN_GATE_KEY) });

        // The real gates user publishes on the same subject: the watcher sees that one only.
        await jetstream(await as('gates')).publish(subjects.gateDecided(wid, PLAN_GATE_KEY), '{}');
        await new Promise((r) => setTimeout(r, 200));
        expect(watcher).toEqual([subjects.gateDecided(wid, PLAN_GATE_KEY)]);
        expect(await streamMessages(STREAMS.events.name)).toBe(before + 1);
      },
    );

    it('cannot be smuggled as a plain publish either (the server drops it and reports the violation)', async () => {
      const wid = randomUUID();
      const watcher = collect((await as('gateway')).subscribe(`evt.gates.gate-decided.${wid}.>`));
      await (await as('gateway')).flush();
      const forger = await as('hitl-publisher');
      const violations: string[] = [];
      void (async () => {
        for await (const s of forger.status()) if (s.type === 'error') violations.push(String(s.error));
      })();
      forger.publish(subjects.gateDecided(wid, PLAN_GATE_KEY), forgedDecision(wid));
      await forger.flush();
      await new Promise((r) => setTimeout(r, 200));
      expect(violations.join('\n')).toMatch(/permissions violation for publish to "evt\.gates\.gate-decided\./i);
      expect(watcher).toEqual([]);
    });
  });

  describe('services keep to their own subjects', () => {
    it('a service cannot read another service’s reply inbox', async () => {
      const runs = await as('runs');
      const sub = runs.subscribe('_INBOX.gateway.>');
      const ended = (async () => {
        for await (const _ of sub) void _;
      })();
      await expect(ended).rejects.toThrow(/permissions violation for subscription to "_INBOX\.gateway\.>"/i);
    });

    it('a service cannot answer another service’s requests', async () => {
      const escalation = await as('escalation');
      const sub = escalation.subscribe('rpc.gates.>');
      const ended = (async () => {
        for await (const _ of sub) void _;
      })();
      await expect(ended).rejects.toThrow(/permissions violation for subscription to "rpc\.gates\.>"/i);
    });

    it('a service cannot delete or purge a stream', async () => {
      const jsm = await jetstreamManager(await as('provisioner'));
      expect((await jsm.streams.info(STREAMS.events.name)).config.name).toBe(STREAMS.events.name);
      const runs = await as('runs');
      await expect(runs.request(`$JS.API.STREAM.DELETE.${STREAMS.events.name}`, '', { timeout: 2000 })).rejects.toThrow(
        /permissions violation/i,
      );
      await expect(
        (await as('provisioner')).request(`$JS.API.STREAM.PURGE.${STREAMS.events.name}`, '', { timeout: 2000 }),
      ).rejects.toThrow(/permissions violation/i);
    });

    it('a service that tries to provision at start is told to leave it to the provisioner', async () => {
      const db = await createTestDatabase('nats-permissions');
      try {
        const env = validateEnv(CommonEnv, {
          DATABASE_URL: db.url,
          NATS_URL: nats.url,
          NATS_USER: 'runs',
          NATS_PASSWORD: nats.creds('runs').pass,
        });
        await expect(prepareInfrastructure(env)).rejects.toThrow(
          /NATS user "runs" may not provision streams: provision as the NATS user "provisioner".*GATEHOUSE_SKIP_PREPARE=true/,
        );
        const asProvisioner = { ...env, NATS_USER: 'provisioner', NATS_PASSWORD: nats.creds('provisioner').pass };
        await expect(prepareInfrastructure(asProvisioner)).resolves.toEqual({ migrations: expect.any(Array) });
      } finally {
        await db.drop();
      }
    });

    it('the gateway requests rpc.> and the answering service replies through allow_responses', async () => {
      const gates = await as('gates');
      gates.subscribe('rpc.gates.health', { queue: 'gates', callback: (_e, m) => void m.respond('pong') });
      await gates.flush();
      const gateway = await connect({
        ...natsConnectionOptions(
          { NATS_URL: nats.url, NATS_USER: 'gateway', NATS_PASSWORD: nats.creds('gateway').pass },
          'gateway',
          'gateway-test',
        ),
        timeout: 2000,
      });
      conns.push(gateway);
      const answer = await gateway.request('rpc.gates.health', '', { timeout: 2000 });
      expect(answer.string()).toBe('pong');
    });
  });

  describe('outside parties', () => {
    it('a declared publisher publishes a human reply on human.<wid>.<g> and gets its JetStream ack', async () => {
      const wid = randomUUID();
      const before = await streamMessages(STREAMS.human.name);
      const ack = await jetstream(await as('hitl-publisher')).publish(
        topicSubjects.human(wid, PLAN_GATE_KEY),
        JSON.stringify({ payload: { choice: 'yes' }, dedupeKey: `k-${wid}` }),
      );
      expect(ack.stream).toBe(STREAMS.human.name);
      expect(await streamMessages(STREAMS.human.name)).toBe(before + 1);
    });

    it('a listener subscribes to sys.> but not to evt.>, and publishes nothing', async () => {
      const listener = await as('listener');
      const sys = collect(listener.subscribe('sys.>'));
      const evt = listener.subscribe('evt.>');
      const evtEnded = (async () => {
        for await (const _ of evt) void _;
      })();
      await expect(evtEnded).rejects.toThrow(/permissions violation for subscription to "evt\.>"/i);

      await listener.flush();
      await jetstream(await as('gates')).publish(sysSubjects.gateOpened, '{}');
      await new Promise((r) => setTimeout(r, 200));
      expect(sys).toEqual([sysSubjects.gateOpened]);

      const violations: string[] = [];
      void (async () => {
        for await (const s of listener.status()) if (s.type === 'error') violations.push(String(s.error));
      })();
      listener.publish(sysSubjects.gateDecided, '{}');
      await listener.flush();
      await new Promise((r) => setTimeout(r, 200));
      expect(violations.join('\n')).toMatch(/permissions violation for publish to "sys\.gatehouse\.gate-decided"/i);
      expect(sys).toEqual([sysSubjects.gateOpened]);
    });
  });
});
