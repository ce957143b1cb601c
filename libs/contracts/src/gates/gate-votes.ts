import type { Decision } from '../abi/gate-abi';
import type { RiskLevel } from './risk-level';

/** One vote on a gate (DESIGN section 11): what `ui:<g>:result`, `decision:<g>` and the gate view list. */
export interface GateVote {
  /** The principal who voted. */
  actor: string;
  choice: string;
  decision: Decision.APPROVE | Decision.REJECT;
  dedupeKey: string;
  origin: string;
  /** The plan version the vote counted for. */
  planHash: string;
  at: string;
}

/** The policy facts of a gate, fixed when it opens and shown in its prompt. */
export interface GateRisk {
  level: RiskLevel;
  /** Why the gate has this level: the recipe's setting and every risk rule that matched. */
  reasons: string[];
  requiredApprovals: number;
  /** Roles allowed to decide; null: any role. */
  roles: string[] | null;
  requireRationale: boolean;
  requirePlanHash: boolean;
  allowSelfApproval: boolean;
  autoApprove: boolean;
}
