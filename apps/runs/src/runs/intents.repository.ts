import { Injectable } from '@nestjs/common';
import type { IntentRow } from './run-row';
import { execute, queryOne, type Db } from '@gatehouse/persistence';

export interface NewIntent {
  id: string;
  goal: string;
  inputs: Record<string, unknown>;
  constraints: Record<string, unknown>;
}

@Injectable()
export class IntentsRepository {
  async insert(db: Db, intent: NewIntent): Promise<void> {
    await execute(
      db,
      `INSERT INTO runs.intents (id, goal, inputs, constraints) VALUES ($1, $2, $3::jsonb, $4::jsonb)`,
      [intent.id, intent.goal, JSON.stringify(intent.inputs), JSON.stringify(intent.constraints)],
    );
  }

  /** `id` must already be a UUID. */
  find(db: Db, id: string): Promise<IntentRow | null> {
    return queryOne<IntentRow>(db, `SELECT id, goal, inputs, constraints, created_at FROM runs.intents WHERE id = $1`, [
      id,
    ]);
  }
}
