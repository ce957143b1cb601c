import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identity (DESIGN section 10): the API keys the gates service owns, the requester of each run, and
 * the person a signed source relayed a reply for.
 */
export class IdentityKeysAndActors1763700001800 implements MigrationInterface {
  name = 'IdentityKeysAndActors1763700001800';

  async up(q: QueryRunner): Promise<void> {
    // Only the SHA-256 of a key is stored; `prefix` is its first characters, shown in lists.
    await q.query(`
      CREATE TABLE gates.api_keys (
        id           uuid PRIMARY KEY,
        name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        roles        text[] NOT NULL CHECK (cardinality(roles) >= 1),
        key_hash     text NOT NULL CHECK (key_hash ~ '^[a-f0-9]{64}$'),
        prefix       text NOT NULL,
        created_by   text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz,
        revoked_by   text,
        CONSTRAINT api_keys_hash_once UNIQUE (key_hash),
        CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
      )`);
    await q.query(`ALTER TABLE runs.runs ADD COLUMN requested_by text`);
    await q.query(`ALTER TABLE gates.human_interactions ADD COLUMN on_behalf_of text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gates.human_interactions DROP COLUMN on_behalf_of`);
    await q.query(`ALTER TABLE runs.runs DROP COLUMN requested_by`);
    await q.query(`DROP TABLE gates.api_keys`);
  }
}
