import { PLAN_GATE_KEY, subjects } from '@gatehouse/contracts';

/**
 * What a forger publishes to push a run past its plan gate: a complete, well-formed gate-decided event
 * that the gates service never wrote, approving as `mallory`.
 */
export function forgedPlanApproval(wid: string): { subject: string; body: string } {
  return {
    subject: subjects.gateDecided(wid, PLAN_GATE_KEY),
    body: JSON.stringify({
      workflowId: wid,
      gateKey: PLAN_GATE_KEY,
      rootGateKey: PLAN_GATE_KEY,
      state: 'RECEIVED',
      decision: 'approve',
      by: 'human',
      choice: 'yes',
      rationale: null,
      patch: null,
      actor: 'mallory',
      escalatedTo: null,
      at: new Date().toISOString(),
    }),
  };
}
