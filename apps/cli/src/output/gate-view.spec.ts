import type { GateDetailView } from '@gatehouse/contracts';
import { gateLines } from './gate-view';
import { styleFor } from './style';
import { memoryIo } from '../test/memory-io';

const HASH = 'a'.repeat(64);

/** A critical gate mid-quorum, in the gate view's shape once gate policy fills it (DESIGN section 11). */
const gate = {
  gateKey: 'approve-plan',
  rootGateKey: 'approve-plan',
  escalationLevel: 0,
  state: 'PENDING',
  topic: 'human:approve-plan',
  deadlineAt: '2026-12-06T09:30:00.000Z',
  openedAt: '2026-12-06T07:30:00.000Z',
  closedAt: null,
  riskLevel: 'critical',
  requiredApprovals: 2,
  approvalCount: 1,
  planHash: HASH,
  approvals: [
    {
      actor: 'alice',
      choice: 'yes',
      decision: 'approve',
      dedupeKey: 'k1',
      origin: 'rest',
      planHash: HASH,
      at: '2026-12-06T07:40:00.000Z',
    },
  ],
  prompt: {
    schemaVersion: 1,
    gateKey: 'approve-plan',
    title: 'Approve the deploy plan',
    plan: { steps: [{ id: 'step-1', action: 'delete', environment: 'production' }] },
    planHash: HASH,
    choices: [
      { value: 'yes', label: 'Approve the plan', decision: 'approve' },
      { value: 'no', label: 'Reject the plan', decision: 'reject' },
    ],
    deadlineAt: '2026-12-06T09:30:00.000Z',
    policy: {},
    risk: {
      level: 'critical',
      reasons: ['recipe deploy: high', 'rule {action: delete, environment: production}: critical'],
      requiredApprovals: 2,
      roles: ['devops_engineer'],
      requireRationale: true,
      requirePlanHash: true,
    },
  },
  result: null,
  decision: null,
  escalation: null,
} as unknown as GateDetailView;

describe('a gate for people', () => {
  it('shows the level and why, what a reply needs, the votes that count and the plan', () => {
    const lines = gateLines('wid-1', gate, styleFor(memoryIo({})), new Date('2026-12-06T08:00:00.000Z'));
    expect(lines).toEqual(
      expect.arrayContaining([
        'gate           approve-plan of run wid-1',
        'risk           critical (recipe deploy: high; rule {action: delete, environment: production}: critical)',
        'a reply needs  role devops_engineer, a rationale, the plan hash',
        'approvals      1/2',
        `plan hash      ${HASH}`,
        'deadline       2026-12-06T09:30:00.000Z (in 1h30m)',
        'votes:',
        `  alice  yes  2026-12-06T07:40:00.000Z  via rest  plan ${HASH.slice(0, 12)}`,
        'plan:',
        '    - id: step-1',
      ]),
    );
    expect(lines.some((l) => l.startsWith('result') || l.startsWith('decision'))).toBe(false);
  });

  it('drops the countdown once the gate is decided', () => {
    const decided = { ...gate, state: 'RECEIVED' } as GateDetailView;
    const lines = gateLines('wid-1', decided, styleFor(memoryIo({})), new Date('2026-12-06T08:00:00.000Z'));
    expect(lines).toContain('deadline       2026-12-06T09:30:00.000Z');
  });
});
