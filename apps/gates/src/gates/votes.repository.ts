import { Injectable } from '@nestjs/common';
import { Decision, type GateVote } from '@gatehouse/contracts';
import { queryRows, type Db } from '@gatehouse/persistence';
import { iso } from '../shared/time';

interface RawVote {
  actor: string;
  choice: string;
  decision: GateVote['decision'];
  dedupe_key: string;
  origin: string;
  plan_hash: string;
  created_at: Date;
}

const toVote = (r: RawVote): GateVote => ({
  actor: r.actor,
  choice: r.choice,
  decision: r.decision,
  dedupeKey: r.dedupe_key,
  origin: r.origin,
  planHash: r.plan_hash,
  at: iso(r.created_at),
});

/** `gates.gate_votes`: one row per principal and plan version of a gate (DESIGN section 11). */
@Injectable()
export class VotesRepository {
  async insert(db: Db, workflowId: string, gateKey: string, vote: GateVote): Promise<void> {
    await queryRows(
      db,
      `INSERT INTO gates.gate_votes
         (workflow_id, gate_key, actor, plan_hash, choice, decision, dedupe_key, origin, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        workflowId,
        gateKey,
        vote.actor,
        vote.planHash,
        vote.choice,
        vote.decision,
        vote.dedupeKey,
        vote.origin,
        vote.at,
      ],
    );
  }

  /** The votes of one plan version, oldest first: the approvals that count (and a deciding `no`). */
  async ofVersion(db: Db, workflowId: string, gateKey: string, planHash: string | null): Promise<GateVote[]> {
    if (!planHash) return [];
    const rows = await queryRows<RawVote>(
      db,
      `SELECT actor, choice, decision, dedupe_key, origin, plan_hash, created_at FROM gates.gate_votes
       WHERE workflow_id = $1 AND gate_key = $2 AND plan_hash = $3 ORDER BY created_at, actor`,
      [workflowId, gateKey, planHash],
    );
    return rows.map(toVote);
  }
}

export const approvalsOf = (votes: GateVote[]): GateVote[] => votes.filter((v) => v.decision === Decision.APPROVE);
