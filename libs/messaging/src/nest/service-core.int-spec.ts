import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { CommonEnv, subjects } from '@gatehouse/contracts';
import { countOnSubject, startInfra, waitFor, type Infra } from '../../test/messaging-fixtures';
import { CONSUMERS, STREAMS } from '../jetstream/definitions';
import { provisionStreams } from '../jetstream/provision';
import type { InboundMessage } from '../inbox/inbound-message';
import type { MessageHandler } from '../inbox/message-handler';
import { freePort } from '../../../../tools/test-support/free-port';
import { sampleValue } from '../../../../tools/test-support/prometheus-text';
import { AdminServer } from '../health/admin-server';
import { ConsumerHost } from './consumer-host.service';
import { OutboxService } from './outbox.service';
import { ServiceCoreModule } from './service-core.module';
import { JETSTREAM, NATS_CONNECTION } from './tokens';

/** A feature handler written the way the services write theirs: consume a fact, announce another. */
@Injectable()
class GateRequestedHandler implements MessageHandler<void> {
  readonly consumer = CONSUMERS.gatesGateRequested;
  constructor(private readonly outbox: OutboxService) {}

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    const e = msg.json<{ workflowId: string; gateKey: string }>();
    await tx.query('INSERT INTO public.opened (workflow_id, gate_key) VALUES ($1, $2)', [e.workflowId, e.gateKey]);
    await this.outbox.write(tx, {
      msgId: `gate-opened:${e.workflowId}:${e.gateKey}`,
      subject: subjects.gateOpened(e.workflowId, e.gateKey),
      payload: { workflowId: e.workflowId, gateKey: e.gateKey },
    });
  }
}

@Module({ providers: [GateRequestedHandler] })
class FeatureModule {
  constructor(host: ConsumerHost, handler: GateRequestedHandler) {
    host.register(handler);
  }
}

/**
 * Built only once the test's environment is in place: ConfigModule.forRoot reads process.env when
 * it is called, so a module declared at file load would see the defaults (the shared database and
 * NATS), which tests must never touch.
 */
function testAppModule(): Type<unknown> {
  @Module({
    imports: [ServiceCoreModule.forService({ service: 'gates', schema: 'gates', env: CommonEnv }), FeatureModule],
  })
  class TestAppModule {}
  return TestAppModule;
}

/** ServiceCoreModule wired as a service's AppModule would be, against a private server and database. */
describe('ServiceCoreModule (Nest application context)', () => {
  let infra: Infra;
  let app: INestApplicationContext | undefined;
  const saved = { ...process.env };
  let metricsPort: number;

  beforeAll(async () => {
    infra = await startInfra('service_core');
    await provisionStreams(infra.nc);
    await infra.db.query('CREATE TABLE public.opened (workflow_id text NOT NULL, gate_key text NOT NULL)');
    Object.assign(process.env, {
      DATABASE_URL: infra.db.url,
      NATS_URL: infra.nats.url,
      LOG_LEVEL: 'silent',
      DB_POOL_MAX: '4',
      CONSUMER_CONCURRENCY: '4',
      MAX_DELIVERIES: '3',
      METRICS_PORT: String((metricsPort = await freePort())),
    });
    app = await NestFactory.createApplicationContext(testAppModule(), { abortOnError: false, logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    process.env = saved;
    await infra?.stop();
  });

  it('provides the NATS connection, JetStream and the DataSource', async () => {
    expect(app!.get(NATS_CONNECTION).isClosed()).toBe(false);
    expect(app!.get(JETSTREAM)).toBeDefined();
    const ds = app!.get(DataSource);
    expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('consumes with the registered handler and publishes what it wrote to the outbox, once', async () => {
    const wid = randomUUID();
    const event = { workflowId: wid, gateKey: 'plan' };
    const subject = subjects.gateRequested(wid, 'plan');
    await infra.js.publish(subject, JSON.stringify(event), { msgID: `gate-requested:${wid}:plan` });
    // The same fact published again by a crashed publisher: dropped by the stream.
    await infra.js.publish(subject, JSON.stringify(event), { msgID: `gate-requested:${wid}:plan` });

    await waitFor(
      async () => (await countOnSubject(infra.jsm, STREAMS.events.name, subjects.gateOpened(wid, 'plan'))) === 1,
      'gate-opened published',
    );
    const stored = await infra.jsm.streams.getMessage(STREAMS.events.name, {
      last_by_subj: subjects.gateOpened(wid, 'plan'),
    });
    expect(stored!.header.get('Nats-Msg-Id')).toBe(`gate-opened:${wid}:plan`);
    expect(await infra.db.query('SELECT gate_key FROM public.opened WHERE workflow_id = $1', [wid])).toEqual([
      { gate_key: 'plan' },
    ]);
    expect(
      await infra.db.query('SELECT consumer FROM gates.inbox WHERE msg_id = $1', [`gate-requested:${wid}:plan`]),
    ).toEqual([{ consumer: CONSUMERS.gatesGateRequested.durable }]);
  });

  it('serves Prometheus metrics on METRICS_PORT: deliveries by outcome, backlog, outbox, process', async () => {
    expect(app!.get(AdminServer).port).toBe(metricsPort);
    const wid = randomUUID();
    await infra.js.publish(subjects.gateRequested(wid, 'm'), JSON.stringify({ workflowId: wid, gateKey: 'm' }), {
      msgID: `gate-requested:${wid}:m`,
    });
    const consumer = CONSUMERS.gatesGateRequested.durable;
    const of = { service: 'gates', consumer };
    const applied = (text: string) =>
      sampleValue(text, 'gatehouse_consumer_messages_total', { ...of, outcome: 'applied' });
    // This test's message and the earlier test's one were both applied and announced.
    const text: string = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const body = await res.text();
      const published = sampleValue(body, 'gatehouse_outbox_published_total', { service: 'gates' }) ?? 0;
      return (applied(body) ?? 0) >= 2 && published >= 2 ? body : '';
    }, 'metrics for two applied deliveries');
    expect(applied(text)).toBe(2);
    expect(sampleValue(text, 'gatehouse_consumer_settle_seconds_count', of)).toBe(2);
    expect(sampleValue(text, 'gatehouse_consumer_backlog_messages', { ...of, state: 'pending' })).toBe(0);
    expect(sampleValue(text, 'gatehouse_consumer_backlog_messages', { ...of, state: 'ack_pending' })).toBe(0);
    expect(sampleValue(text, 'process_cpu_user_seconds_total', { service: 'gates' })).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
  });

  it('OutboxService.transaction commits the fact and publishes its message right after', async () => {
    const outbox = app!.get(OutboxService);
    const wid = randomUUID();
    const result = await outbox.transaction(async (tx) => {
      await tx.query('INSERT INTO public.opened (workflow_id, gate_key) VALUES ($1, $2)', [wid, 'g2']);
      await outbox.write(tx, {
        msgId: `gate-decided:${wid}:g2`,
        subject: subjects.gateDecided(wid, 'g2'),
        payload: { wid },
      });
      return 'done';
    });
    expect(result).toBe('done');
    await waitFor(
      async () => (await countOnSubject(infra.jsm, STREAMS.events.name, subjects.gateDecided(wid, 'g2'))) === 1,
      'gate-decided published',
      1500,
    );
  });

  it('OutboxService.transaction publishes nothing when the work fails', async () => {
    const outbox = app!.get(OutboxService);
    const wid = randomUUID();
    await expect(
      outbox.transaction(async (tx) => {
        await outbox.write(tx, {
          msgId: `gate-decided:${wid}:g3`,
          subject: subjects.gateDecided(wid, 'g3'),
          payload: {},
        });
        throw new Error('rejected');
      }),
    ).rejects.toThrow('rejected');
    // Let a sweep pass, then check.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await countOnSubject(infra.jsm, STREAMS.events.name, subjects.gateDecided(wid, 'g3'))).toBe(0);
    expect(await infra.db.query('SELECT 1 FROM gates.outbox WHERE msg_id = $1', [`gate-decided:${wid}:g3`])).toEqual(
      [],
    );
  });
});
