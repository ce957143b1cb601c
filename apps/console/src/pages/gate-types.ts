import type { GateDetailView, GateHistory } from '@gatehouse/contracts';

/**
 * The gate as GET /api/runs/:wid/gates/:g answers, with the policy fields of DESIGN section 11
 * that the page reads when the gateway sends them (the votes that count, the allowed roles, why the
 * risk level was chosen).
 */
export type GateView = GateDetailView & {
  approvals?: { actor?: string | null; at?: string; planHash?: string }[];
  riskReasons?: unknown[];
};

export type { GateHistory };

/** Policy fields a gate's prompt may carry beyond the frozen ones. */
export interface PolicyExtras {
  roles?: string[];
  requirePlanHash?: boolean;
  riskLevel?: string;
  riskReasons?: unknown[];
  requiredApprovals?: number;
}
