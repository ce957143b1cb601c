import { Injectable } from '@nestjs/common';
import { Role, type ApiKeyView, type VerifiedApiKey } from '@gatehouse/contracts';
import { execute, queryOne, queryRows, type Db } from '@gatehouse/persistence';

export interface NewApiKey {
  id: string;
  name: string;
  roles: string[];
  hash: string;
  prefix: string;
  createdBy: string;
}

interface KeyRow {
  id: string;
  name: string;
  roles: string[];
  prefix: string;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toView(r: KeyRow): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    roles: r.roles,
    prefix: r.prefix,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  };
}

const VIEW_COLUMNS = 'id, name, roles, prefix, created_by, created_at, last_used_at, revoked_at';

/**
 * `last_used_at` is refreshed at most once a minute per key: verifying a key on every request must
 * not turn every read into a write.
 */
const LAST_USED_GRANULARITY = `interval '1 minute'`;

/** SQL on `gates.api_keys`: only SHA-256 digests of keys, never a key. */
@Injectable()
export class ApiKeysRepository {
  async insert(db: Db, key: NewApiKey): Promise<ApiKeyView> {
    const row = await queryOne<KeyRow>(
      db,
      `INSERT INTO gates.api_keys (id, name, roles, key_hash, prefix, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${VIEW_COLUMNS}`,
      [key.id, key.name, key.roles, key.hash, key.prefix, key.createdBy],
    );
    return toView(row as KeyRow);
  }

  async list(db: Db): Promise<ApiKeyView[]> {
    const rows = await queryRows<KeyRow>(db, `SELECT ${VIEW_COLUMNS} FROM gates.api_keys ORDER BY created_at, id`);
    return rows.map(toView);
  }

  /**
   * Locks the active (unrevoked) admin keys, in id order so that two revokers never deadlock, and
   * returns their ids. Call it inside the revoking transaction: a concurrent revocation waits for
   * the lock and then sees the committed revocation, so two of them cannot revoke the last two.
   */
  async lockActiveAdminIds(tx: Db): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      tx,
      `SELECT id FROM gates.api_keys WHERE $1 = ANY (roles) AND revoked_at IS NULL ORDER BY id FOR UPDATE`,
      [Role.ADMIN],
    );
    return rows.map((r) => r.id);
  }

  /** Revokes once: a second call keeps the first revocation's time and author. */
  async revoke(db: Db, id: string, revokedBy: string): Promise<ApiKeyView | undefined> {
    const row = await queryOne<KeyRow>(
      db,
      `WITH revoked AS (
         UPDATE gates.api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL
         RETURNING ${VIEW_COLUMNS}
       )
       SELECT * FROM revoked
       UNION ALL
       SELECT ${VIEW_COLUMNS} FROM gates.api_keys WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM revoked)`,
      [id, revokedBy],
    );
    return row ? toView(row) : undefined;
  }

  /** The active key with this digest (a revoked or unknown one: undefined), marking it used. */
  async findActive(db: Db, hash: string): Promise<VerifiedApiKey | undefined> {
    const row = await queryOne<{ id: string; name: string; roles: string[] }>(
      db,
      `WITH found AS (
         SELECT id, name, roles, last_used_at FROM gates.api_keys WHERE key_hash = $1 AND revoked_at IS NULL
       ), touched AS (
         UPDATE gates.api_keys k SET last_used_at = now() FROM found
         WHERE k.id = found.id AND (found.last_used_at IS NULL OR found.last_used_at < now() - ${LAST_USED_GRANULARITY})
       )
       SELECT id, name, roles FROM found`,
      [hash],
    );
    return row ?? undefined;
  }

  /**
   * Inserts the bootstrap admin key unless an admin key was ever created (a revoked one counts:
   * a revoked bootstrap key must not come back on the next start). Replicas starting together
   * serialise on an advisory lock. True when the key was inserted.
   */
  async insertBootstrap(db: Db, key: NewApiKey): Promise<boolean> {
    await execute(db, `SELECT pg_advisory_xact_lock(hashtext('gates.api_keys.bootstrap'))`);
    const inserted = await queryRows<{ id: string }>(
      db,
      `INSERT INTO gates.api_keys (id, name, roles, key_hash, prefix, created_by)
       SELECT $1, $2, $3, $4, $5, $6
       WHERE NOT EXISTS (SELECT 1 FROM gates.api_keys WHERE $7 = ANY (roles))
       ON CONFLICT (key_hash) DO NOTHING
       RETURNING id`,
      [key.id, key.name, key.roles, key.hash, key.prefix, key.createdBy, Role.ADMIN],
    );
    return inserted.length > 0;
  }
}
