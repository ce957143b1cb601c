import 'reflect-metadata';
import { PoisonMessageError } from '@gatehouse/messaging';
import { childTaskOf, gateDecidedOf, stepTaskOf } from './inbound-messages';

const WID = '7B1F6B8E-2F55-4F8B-9A51-6A3C1F0E9D11';

describe('inbound message shapes', () => {
  it('accepts a step task and normalises the run id', () => {
    expect(stepTaskOf({ runId: WID, stepId: 'CompileST' })).toEqual({ runId: WID.toLowerCase(), stepId: 'CompileST' });
  });

  it.each([null, [], 'x', { runId: 'nope', stepId: 'CompileST' }, { runId: WID, stepId: 'LaunchST' }, { runId: WID }])(
    'dead-letters a bad step task %j',
    (body) => {
      expect(() => stepTaskOf(body)).toThrow(PoisonMessageError);
    },
  );

  it('accepts a child task', () => {
    expect(childTaskOf({ runId: WID, taskKey: 'task-2', idx: 2, sandboxMinutes: 1.5 })).toEqual({
      runId: WID.toLowerCase(),
      taskKey: 'task-2',
      idx: 2,
      sandboxMinutes: 1.5,
    });
  });

  it.each([
    { runId: WID, taskKey: 'task-2', idx: 3 },
    { runId: WID, taskKey: 'task--1', idx: -1 },
    { runId: WID, taskKey: 'task-1.5', idx: 1.5 },
    { runId: 'x', taskKey: 'task-0', idx: 0 },
  ])('dead-letters a bad child task %j', (body) => {
    expect(() => childTaskOf(body)).toThrow(PoisonMessageError);
  });

  const decided = {
    workflowId: WID,
    gateKey: 'approve-plan',
    state: 'RECEIVED',
    decision: 'approve',
    by: 'human',
    choice: 'yes',
    rationale: null,
    patch: null,
    planHash: 'a'.repeat(64),
    actor: 'alice',
    rootGateKey: 'approve-plan',
    escalatedTo: null,
    at: '2025-01-01T00:00:00.000Z',
  };

  it('accepts a gate-decided event and fills optional members', () => {
    expect(gateDecidedOf(decided)).toEqual(decided);
    const {
      choice: _c,
      rationale: _r,
      patch: _p,
      planHash: _h,
      actor: _a,
      rootGateKey: _g,
      escalatedTo: _e,
      ...bare
    } = decided;
    expect(gateDecidedOf(bare)).toMatchObject({
      planHash: null,
      choice: null,
      rationale: null,
      patch: null,
      actor: null,
      rootGateKey: 'approve-plan',
      escalatedTo: null,
    });
  });

  it('dead-letters a gate-decided event whose planHash is not a SHA-256 digest', () => {
    expect(() => gateDecidedOf({ ...decided, planHash: 'B'.repeat(64) })).toThrow(PoisonMessageError);
    expect(() => gateDecidedOf({ ...decided, planHash: 7 })).toThrow(PoisonMessageError);
  });

  it('reads the chain of a successor gate', () => {
    const successor = {
      ...decided,
      gateKey: 'approve-plan-e1',
      state: 'TIMED_OUT',
      decision: 'timeout',
      escalatedTo: 'approve-plan-e2',
    };
    expect(gateDecidedOf(successor)).toMatchObject({ rootGateKey: 'approve-plan', escalatedTo: 'approve-plan-e2' });
  });

  it.each([
    { ...decided, decision: 'maybe' },
    { ...decided, by: 'robot' },
    { ...decided, gateKey: 7 },
    { ...decided, patch: { op: 'add' } },
    { ...decided, rationale: 12 },
    { ...decided, rootGateKey: 'Not A Key' },
    { ...decided, escalatedTo: 5 },
  ])('dead-letters a bad gate-decided event %j', (body) => {
    expect(() => gateDecidedOf(body)).toThrow(PoisonMessageError);
  });
});
