import 'reflect-metadata';
import { EMPTY_POLICY_FILE, TimeoutAction, type GatePolicy, type PolicyFile } from '@gatehouse/contracts';
import { resolveGatePolicy, successorOf, timeoutOutcome } from './gate-policy';

const chain = [
  { group: 'sre-oncall', timeoutS: 600 },
  { group: 'eng-leads', timeoutS: 1200 },
];

const file: PolicyFile = {
  recipes: {
    'agent-plan': { 'approve-plan': { timeoutS: 60, timeoutAction: TimeoutAction.ESCALATE, escalationChain: chain } },
    deploy: { 'approve-plan': { timeoutAction: TimeoutAction.APPROVE } },
    'data-migration': { 'approve-plan': { timeoutAction: TimeoutAction.ESCALATE, escalationChain: [] } },
  },
};

describe('resolveGatePolicy', () => {
  it.each(['compile-default', 'agent-plan', 'deploy', 'data-migration', 'unknown-recipe'])(
    'without a policy file gives %s the configured deadline and fail-closed reject',
    (recipe) => {
      expect(resolveGatePolicy(EMPTY_POLICY_FILE, recipe, 'approve-plan', { timeoutS: 42 })).toEqual({
        timeoutS: 42,
        timeoutAction: TimeoutAction.REJECT,
        escalationChain: [],
        requireRationale: false,
      });
    },
  );

  it('takes the file entry of the recipe and gate over the defaults', () => {
    expect(resolveGatePolicy(file, 'agent-plan', 'approve-plan', { timeoutS: 42 })).toEqual({
      timeoutS: 60,
      timeoutAction: TimeoutAction.ESCALATE,
      escalationChain: chain,
      requireRationale: false,
    });
    expect(resolveGatePolicy(file, 'deploy', 'approve-plan', { timeoutS: 42 })).toMatchObject({
      timeoutS: 42,
      timeoutAction: TimeoutAction.APPROVE,
      escalationChain: [],
    });
  });

  it('gives gates and recipes the file does not name the defaults', () => {
    const defaults = { timeoutS: 42, timeoutAction: TimeoutAction.REJECT, escalationChain: [] };
    expect(resolveGatePolicy(file, 'deploy', 'other-gate', { timeoutS: 42 })).toMatchObject(defaults);
    expect(resolveGatePolicy(file, 'constructor', 'approve-plan', { timeoutS: 42 })).toMatchObject(defaults);
    expect(resolveGatePolicy(file, 'deploy', 'toString', { timeoutS: 42 })).toMatchObject(defaults);
  });

  it('turns escalate with an empty chain into reject (nobody to escalate to: fail closed)', () => {
    expect(resolveGatePolicy(file, 'data-migration', 'approve-plan', { timeoutS: 42 })).toMatchObject({
      timeoutAction: TimeoutAction.REJECT,
      escalationChain: [],
    });
  });

  it('returns a fresh object each time (callers may store it)', () => {
    const a = resolveGatePolicy(file, 'agent-plan', 'approve-plan', { timeoutS: 1 });
    const b = resolveGatePolicy(file, 'agent-plan', 'approve-plan', { timeoutS: 1 });
    expect(a).not.toBe(b);
    expect(a.escalationChain).not.toBe(b.escalationChain);
    expect(a.escalationChain[0]).not.toBe(file.recipes['agent-plan']['approve-plan'].escalationChain?.[0]);
  });
});

describe('successorOf', () => {
  const root: GatePolicy = {
    timeoutS: 60,
    timeoutAction: TimeoutAction.ESCALATE,
    escalationChain: chain,
    requireRationale: false,
  };

  it('opens <root>-e<level> for the next group, whose policy is the rest of the chain', () => {
    const first = successorOf(root, 'approve-plan', 0);
    expect(first).toEqual({
      gateKey: 'approve-plan-e1',
      level: 1,
      group: 'sre-oncall',
      policy: {
        timeoutS: 600,
        timeoutAction: TimeoutAction.ESCALATE,
        escalationChain: [{ group: 'eng-leads', timeoutS: 1200 }],
        requireRationale: false,
      },
    });
    const second = successorOf(first!.policy, 'approve-plan', 1);
    expect(second).toEqual({
      gateKey: 'approve-plan-e2',
      level: 2,
      group: 'eng-leads',
      policy: { timeoutS: 1200, timeoutAction: TimeoutAction.REJECT, escalationChain: [], requireRationale: false },
    });
    expect(successorOf(second!.policy, 'approve-plan', 2)).toBeUndefined();
  });

  it('has no successor for another action or an empty chain', () => {
    expect(successorOf({ ...root, timeoutAction: TimeoutAction.REJECT }, 'approve-plan', 0)).toBeUndefined();
    expect(successorOf({ ...root, escalationChain: [] }, 'approve-plan', 0)).toBeUndefined();
  });
});

describe('timeoutOutcome', () => {
  const policy = (timeoutAction: TimeoutAction, escalationChain = chain): GatePolicy => ({
    timeoutS: 60,
    timeoutAction,
    escalationChain,
    requireRationale: false,
  });

  it('approves only when the timer and the gate policy both say approve', () => {
    expect(timeoutOutcome(policy(TimeoutAction.APPROVE), TimeoutAction.APPROVE, 'g', 0)).toEqual({ action: 'approve' });
    expect(timeoutOutcome(policy(TimeoutAction.REJECT), TimeoutAction.APPROVE, 'g', 0)).toEqual({ action: 'reject' });
    expect(timeoutOutcome(policy(TimeoutAction.APPROVE), TimeoutAction.REJECT, 'g', 0)).toEqual({ action: 'reject' });
  });

  it('escalates only when both say escalate and a level is left', () => {
    expect(timeoutOutcome(policy(TimeoutAction.ESCALATE), TimeoutAction.ESCALATE, 'g', 0)).toMatchObject({
      action: 'escalate',
      successor: { gateKey: 'g-e1', group: 'sre-oncall' },
    });
    expect(timeoutOutcome(policy(TimeoutAction.ESCALATE), TimeoutAction.REJECT, 'g', 0)).toEqual({ action: 'reject' });
    expect(timeoutOutcome(policy(TimeoutAction.ESCALATE, []), TimeoutAction.ESCALATE, 'g', 0)).toEqual({
      action: 'reject',
    });
  });
});
