import 'reflect-metadata';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { createDataSource } from '@gatehouse/persistence';
import { createTestDatabase, type TestDatabase } from '../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../tools/test-support/nats-server';
import { connectNats } from '../src/jetstream/nats-connection';
import type { ConsumerDefinition } from '../src/jetstream/definitions';

const NS = 1_000_000_000;

/** A private nats-server, a fresh migrated database and the clients a test needs; `stop()` removes all. */
export interface Infra {
  nats: NatsServerHandle;
  db: TestDatabase;
  ds: DataSource;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Another DataSource on the same database (a second process's pool). */
  newDataSource(poolMax?: number): Promise<DataSource>;
  /** Another NATS connection (a second process's connection). */
  newConnection(): Promise<NatsConnection>;
  stop(): Promise<void>;
}

export async function startInfra(name: string, poolMax = 10): Promise<Infra> {
  const [nats, db] = await Promise.all([startNatsServer(name), createTestDatabase(name)]);
  const closers: Array<() => Promise<unknown>> = [];
  const newDataSource = async (max = poolMax) => {
    const ds = createDataSource({ url: db.url, poolMax: max, applicationName: `test-${name}` });
    await ds.initialize();
    closers.push(() => ds.destroy());
    return ds;
  };
  const newConnection = async () => {
    // The library's own connection settings: reconnect forever.
    const nc = await connectNats({ NATS_URL: nats.url }, 'test', `test-${name}`);
    closers.push(() => nc.close());
    return nc;
  };
  const ds = await newDataSource();
  const nc = await newConnection();
  return {
    nats,
    db,
    ds,
    nc,
    js: jetstream(nc, { timeout: 5000 }),
    jsm: await jetstreamManager(nc),
    newDataSource,
    newConnection,
    async stop() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      await nats.stop();
      await db.drop();
    },
  };
}

/** Polls `check` until it returns a truthy value (test harness only). */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stream of its own for one test, like the platform's (file storage, 120 s duplicate window). */
export async function createTestStream(jsm: JetStreamManager, name: string, subjects: string[]): Promise<void> {
  await jsm.streams.add({ name, subjects, duplicate_window: 120 * NS });
}

/** A durable pull consumer configured like provisionStreams does, with a short ack wait for tests. */
export async function createTestConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  filterSubject: string,
  ackWaitS = 1,
): Promise<ConsumerDefinition> {
  await jsm.consumers.add(stream, {
    durable_name: durable,
    filter_subject: filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitS * NS,
    max_deliver: -1,
    max_ack_pending: 2000,
  });
  return { stream, durable, filterSubject, ackWaitS, maxAckPending: 2000 };
}

export interface LogLine {
  level: 'debug' | 'warn' | 'error';
  obj: object;
  msg: string;
}

/** A logger that keeps what it is told, so tests can assert on warnings. */
export function memoryLogger(): {
  lines: LogLine[];
  debug(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
} {
  const lines: LogLine[] = [];
  return {
    lines,
    debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg }),
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void lines.push({ level: 'error', obj, msg }),
  };
}

/**
 * Wraps a JetStream client to record every publish and its acknowledgement; `delayMs` slows each
 * publish down, e.g. to keep a relay's batch locked while another relay runs.
 */
export function recordingJetStream(
  js: JetStreamClient,
  delayMs = 0,
): {
  js: JetStreamClient;
  publishes: Array<{ msgId?: string; ack?: PubAck; error?: unknown }>;
} {
  const publishes: Array<{ msgId?: string; ack?: PubAck; error?: unknown }> = [];
  const wrapped = new Proxy(js, {
    get(target, prop, receiver) {
      if (prop !== 'publish') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<JetStreamClient['publish']>) => {
        const entry: { msgId?: string; ack?: PubAck; error?: unknown } = { msgId: args[2]?.msgID };
        publishes.push(entry);
        if (delayMs) await sleep(delayMs);
        try {
          entry.ack = await target.publish(...args);
          return entry.ack;
        } catch (err) {
          entry.error = err;
          throw err;
        }
      };
    },
  });
  return { js: wrapped, publishes };
}

/** Number of messages the stream holds on subjects matching `filter`. */
export async function countOnSubject(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}
