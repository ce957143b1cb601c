import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound webhooks (DESIGN section 13), owned by the escalation service: the endpoints an admin
 * registered (secrets encrypted at rest), the durable delivery queue (one row per fact and endpoint,
 * the fact's id unique per endpoint) and one row per attempt, so "was the pager told?" is SQL.
 */
export class CreateWebhookTables1763700005000 implements MigrationInterface {
  name = 'CreateWebhookTables1763700005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE escalation.webhook_endpoints (
        id                         uuid PRIMARY KEY,
        url                        text NOT NULL,
        events                     text[] NOT NULL CHECK (cardinality(events) > 0),
        enabled                    boolean NOT NULL DEFAULT true,
        disabled_reason            text,
        secret_ciphertext          text NOT NULL,
        previous_secret_ciphertext text,
        previous_secret_expires_at timestamptz,
        created_by                 text NOT NULL,
        created_at                 timestamptz NOT NULL DEFAULT now(),
        updated_at                 timestamptz NOT NULL DEFAULT now(),
        deleted_at                 timestamptz
      )`);
    await q.query(`
      CREATE TABLE escalation.webhook_deliveries (
        id               bigserial PRIMARY KEY,
        endpoint_id      uuid NOT NULL REFERENCES escalation.webhook_endpoints (id),
        webhook_id       text NOT NULL,
        event_type       text NOT NULL,
        workflow_id      text NOT NULL,
        body             text NOT NULL,
        status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','DELIVERED','DEAD')),
        attempts         integer NOT NULL DEFAULT 0,
        attempt_base     integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        lease_until      timestamptz,
        lease_token      uuid,
        last_status_code integer,
        last_error       text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        delivered_at     timestamptz,
        dead_at          timestamptz,
        UNIQUE (endpoint_id, webhook_id)
      )`);
    // The dispatcher reads the front of the queue in due order; rows it must not send yet (a disabled
    // endpoint's, a run's later facts behind a retry) are moved back in that order, not skipped over.
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON escalation.webhook_deliveries (next_attempt_at, id) WHERE status = 'PENDING'`,
    );
    // Per endpoint and run, the oldest pending delivery goes first.
    await q.query(
      `CREATE INDEX webhook_deliveries_order_idx ON escalation.webhook_deliveries (endpoint_id, workflow_id, id) WHERE status = 'PENDING'`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_endpoint_idx ON escalation.webhook_deliveries (endpoint_id, id)`);
    // A queue table: rows change state quickly, so keep its statistics and dead tuples in check.
    await q.query(`
      ALTER TABLE escalation.webhook_deliveries SET (
        autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, fillfactor = 80)`);
    await q.query(`
      CREATE TABLE escalation.webhook_attempts (
        delivery_id     bigint NOT NULL REFERENCES escalation.webhook_deliveries (id),
        attempt         integer NOT NULL CHECK (attempt >= 1),
        started_at      timestamptz NOT NULL,
        latency_ms      integer NOT NULL,
        outcome         text NOT NULL CHECK (outcome IN ('DELIVERED','RETRY','DEAD','GONE')),
        response_status integer,
        response_prefix text,
        error           text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE escalation.webhook_attempts`);
    await q.query(`DROP TABLE escalation.webhook_deliveries`);
    await q.query(`DROP TABLE escalation.webhook_endpoints`);
  }
}
