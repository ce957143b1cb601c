import { AckPolicy, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** The two services that must hear of every decision: the run resumes, the timer is disarmed. */
export const FLOOR_CONSUMERS = ['runs', 'escalation'] as const;
export type FloorConsumer = (typeof FLOOR_CONSUMERS)[number];

export const FLOOR_GATE_KEY = 'plan';

/** A pg Client or Pool. */
interface Sql {
  query(text: string): Promise<unknown>;
}

/** Where one floor run keeps its rows, stream and request subject (a random tag keeps runs apart). */
export interface FloorNames {
  schema: string;
  stream: string;
  /** Subjects of the decided events: `<prefix>.decided.<workflow id>`. */
  subjectPrefix: string;
  /** Core NATS subject of the gateway → gates request. */
  replySubject: string;
}

export function floorNames(tag: string): FloorNames {
  if (!/^[a-z0-9]{1,16}$/.test(tag)) throw new Error(`bad floor tag ${tag}`);
  return {
    schema: `floor_${tag}`,
    stream: `FLOOR_${tag.toUpperCase()}`,
    subjectPrefix: `floor.${tag}`,
    replySubject: `floor.${tag}.rpc.reply`,
  };
}

const NS = 1_000_000_000;

/**
 * The contract's tables reduced to what a reply touches: gate, ledger, outbox (the columns the
 * product's relay reads), and per consumer an inbox and the effect it records. The same keys and
 * constraints as the product's, no more.
 */
export async function createFloorSchema(sql: Sql, names: FloorNames): Promise<void> {
  const s = names.schema;
  await sql.query(`
    CREATE SCHEMA ${s};
    CREATE TABLE ${s}.gates (
      workflow_id uuid NOT NULL, gate_key text NOT NULL, state text NOT NULL, closed_at timestamptz,
      PRIMARY KEY (workflow_id, gate_key));
    CREATE TABLE ${s}.human_interactions (
      id bigserial PRIMARY KEY, workflow_id uuid NOT NULL, gate_key text NOT NULL, topic text NOT NULL,
      dedupe_key text NOT NULL, payload jsonb NOT NULL, payload_hash text NOT NULL, origin text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (workflow_id, gate_key, topic, dedupe_key));
    CREATE TABLE ${s}.outbox (
      id bigserial PRIMARY KEY, msg_id text NOT NULL, subject text NOT NULL, payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}', attempts int NOT NULL DEFAULT 0, last_error text,
      published_at timestamptz);
    CREATE INDEX ON ${s}.outbox (attempts, id) WHERE published_at IS NULL;
    CREATE TABLE ${s}.inbox (consumer text NOT NULL, msg_id text NOT NULL, PRIMARY KEY (consumer, msg_id));
    CREATE TABLE ${s}.effects (
      consumer text NOT NULL, workflow_id uuid NOT NULL, done_at timestamptz NOT NULL,
      PRIMARY KEY (consumer, workflow_id));`);
}

export async function dropFloorSchema(sql: Sql, names: FloorNames): Promise<void> {
  await sql.query(`DROP SCHEMA IF EXISTS ${names.schema} CASCADE`);
}

/** A file stream with a duplicate window and one durable pull consumer per downstream service. */
export async function provisionFloorStream(nc: NatsConnection, names: FloorNames): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: names.stream,
    subjects: [`${names.subjectPrefix}.decided.>`],
    storage: StorageType.File,
    num_replicas: 1,
    duplicate_window: 120 * NS,
  });
  for (const consumer of FLOOR_CONSUMERS)
    await jsm.consumers.add(names.stream, {
      durable_name: consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 30 * NS,
      max_deliver: 10,
    });
}

export async function deleteFloorStream(nc: NatsConnection, names: FloorNames): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(names.stream).catch(() => undefined);
}
