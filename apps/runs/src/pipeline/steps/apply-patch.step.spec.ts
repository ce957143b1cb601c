import 'reflect-metadata';
import { DecidedBy, Decision, payloadHash, RunFailureCode, RunStatus, StepStatus } from '@gatehouse/contracts';
import type { RunRow } from '../../runs/run-row';
import { ApplyPatchStep } from './apply-patch.step';

const plan = { steps: [{ id: 'step-1', action: 'deploy' }] };
const patch = [{ op: 'replace' as const, path: '/steps/0/action', value: 'dry-run' }];
const patchedHash = payloadHash({ steps: [{ id: 'step-1', action: 'dry-run' }] });

const runWith = (planHash: string | null | undefined): RunRow =>
  ({
    id: '7b1f6b8e-2f55-4f8b-9a51-6a3c1f0e9d11',
    plan,
    plan_hash: payloadHash(plan),
    decision: {
      gateKey: 'approve-plan',
      decision: Decision.APPROVE,
      by: DecidedBy.HUMAN,
      choice: 'yes',
      rationale: null,
      patch,
      planHash,
      actor: 'key:a',
      at: '2026-01-01T00:00:00.000Z',
    },
  }) as unknown as RunRow;

/** ApplyPatchST executes exactly the approved plan version (DESIGN section 11). */
describe('ApplyPatchStep', () => {
  const step = new ApplyPatchStep();

  it('applies the approved patch when the result is the approved version', () => {
    const out = step.outcome(runWith(patchedHash), 1);
    expect(out.row.status).toBe(StepStatus.SUCCEEDED);
    expect(out.changes.planHash).toBe(patchedHash);
  });

  it('ends the run PLAN_MISMATCH when the patched plan is not the approved version', () => {
    const out = step.outcome(runWith('c'.repeat(64)), 1);
    expect(out.row.status).toBe(StepStatus.FAILED);
    expect(out.changes.status).toBe(RunStatus.ERROR);
    expect(out.changes.error).toMatchObject({ code: RunFailureCode.PLAN_MISMATCH, gateKey: 'approve-plan' });
  });

  it('accepts a decision recorded before plan versions (no planHash)', () => {
    expect(step.outcome(runWith(undefined), 1).row.status).toBe(StepStatus.SUCCEEDED);
  });
});
