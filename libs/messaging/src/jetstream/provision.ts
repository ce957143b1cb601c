import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CONSUMERS,
  RETIRED_CONSUMERS,
  STREAMS,
  type ConsumerDefinition,
  type RetiredConsumer,
  type StreamDefinition,
} from './definitions';

const NS = 1_000_000_000;

export interface ProvisionOptions {
  /** Stream replicas: 1 on a single server, 3 on a cluster. */
  replicas?: number;
  /**
   * How long to keep retrying while the cluster is still forming (no meta leader yet, or fewer
   * peers known than the replicas asked for). Default 60 s; then the last error is thrown.
   */
  clusterWaitMs?: number;
}

const RETRY_STEP_MS = 250;

/**
 * Errors a JetStream cluster gives while it forms or elects, which go away by themselves:
 * "no suitable peers for placement" (10005) before every node has joined the meta group,
 * "JetStream system temporarily unavailable" (10008) and 503s during an election, and
 * request timeouts while there is no meta leader to answer.
 */
export function isClusterForming(err: unknown): boolean {
  const e = err as { code?: number | string; status?: number; message?: string; name?: string };
  if (e?.code === 10005 || e?.code === 10008 || e?.status === 503) return true;
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`;
  return /no suitable peers|temporarily unavailable|timeout|no responders/i.test(text);
}

/** Runs one provisioning step again, with a fixed pause, while the cluster is forming. */
async function whileForming<T>(deadline: number, step: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (!isClusterForming(err) || Date.now() + RETRY_STEP_MS > deadline) throw err;
      await new Promise((r) => setTimeout(r, RETRY_STEP_MS));
    }
  }
}

function streamConfig(def: StreamDefinition, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: def.name,
    subjects: def.subjects,
    retention: def.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    max_age: def.maxAgeS * NS,
    duplicate_window: def.duplicateWindowS * NS,
    discard: DiscardPolicy.Old,
  };
}

async function ensureStream(jsm: JetStreamManager, def: StreamDefinition, replicas: number): Promise<void> {
  const config = streamConfig(def, replicas);
  try {
    await jsm.streams.info(def.name);
    await jsm.streams.update(def.name, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      // Another process created it between our info and add. The server says so as "already in
      // use", or, when both adds are in flight at once, as "subjects overlap with an existing
      // stream": whichever it says, a stream of this name now existing is all that matters.
      const exists = await jsm.streams.info(def.name).then(
        () => true,
        () => false,
      );
      if (!exists) throw addErr;
      await jsm.streams.update(def.name, config);
    }
  }
}

async function ensureConsumer(jsm: JetStreamManager, def: ConsumerDefinition): Promise<void> {
  const config = {
    durable_name: def.durable,
    filter_subject: def.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: def.ackWaitS * NS,
    // Unlimited here: the consumer runner counts deliveries itself and dead-letters into
    // Postgres, so a message is never dropped by the server before it is recorded.
    max_deliver: -1,
    max_ack_pending: def.maxAckPending,
  };
  try {
    await jsm.consumers.info(def.stream, def.durable);
    // A changed filter is updated in place (nats-server 2.9 allows it): the consumer keeps its
    // position, so messages of the new filter stored before that position are not delivered.
    await jsm.consumers.update(def.stream, def.durable, {
      filter_subject: config.filter_subject,
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(def.stream, config);
  }
}

/** Deletes a retired durable; already gone (or deleted by another process meanwhile) is fine. */
async function retireConsumer(jsm: JetStreamManager, def: RetiredConsumer): Promise<void> {
  try {
    await jsm.consumers.delete(def.stream, def.durable);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { message?: string; code?: number | string; api_error?: { code?: number } };
  return e?.api_error?.code === 404 || /not found/i.test(String(e?.message ?? ''));
}

/**
 * Creates or updates every stream and consumer and deletes retired consumers. Safe to run from
 * many processes at once, and while a cluster is still forming (it waits, up to clusterWaitMs).
 */
export async function provisionStreams(nc: NatsConnection, options: ProvisionOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.clusterWaitMs ?? 60_000);
  const jsm = await whileForming(deadline, () => jetstreamManager(nc));
  const replicas = options.replicas ?? 1;
  for (const def of Object.values(STREAMS)) await whileForming(deadline, () => ensureStream(jsm, def, replicas));
  for (const def of Object.values(CONSUMERS)) await whileForming(deadline, () => ensureConsumer(jsm, def));
  for (const def of RETIRED_CONSUMERS) await whileForming(deadline, () => retireConsumer(jsm, def));
}
