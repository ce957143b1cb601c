import type { GateState } from '../abi/gate-abi';
import type { RiskLevel } from './risk-level';

/** Inbox page size (DESIGN section 14). */
export const INBOX_LIMIT = { min: 1, max: 200, default: 50 } as const;

/** Who asks for `mine=true`: the gates they may decide, by the gate's stored eligibility facts. */
export interface InboxDecider {
  id: string;
  roles: readonly string[];
}

/** `rpc.gates.inbox`: parsed and checked by the gateway, checked again by the gates service. */
export interface InboxQuery {
  state: GateState;
  recipe?: string;
  riskLevel?: RiskLevel;
  partition?: string;
  olderThanS?: number;
  /** Set for `mine=true`. */
  decider?: InboxDecider;
  limit: number;
  /** Opaque: the position after the last item of the previous page. */
  cursor?: string;
}

/** The run a gate belongs to, as the gate request carried it. */
export interface InboxRunSummary {
  goal: string | null;
  recipe: string;
  partition: string | null;
  requestedBy: string | null;
  /** `PENDING` until the gates service learns that the run ended, then its terminal status. */
  status: string;
}

export interface InboxItem {
  workflowId: string;
  gateKey: string;
  state: GateState;
  title: string | null;
  riskLevel: RiskLevel;
  /** Approvals that count so far, and how many decide `approve`. */
  approvals: { count: number; required: number };
  deadlineAt: string;
  openedAt: string;
  run: InboxRunSummary;
}

export interface InboxPage {
  items: InboxItem[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}
