import 'reflect-metadata';
import fc from 'fast-check';
import { Decision, ErrorCode, ERROR_STATUS, GateState, PLAN_GATE_CHOICES } from '@gatehouse/contracts';
import { judgeReply, verdictError, type GateFacts, type IncomingReply, type RecordedReply } from './reply-rules';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const TOPIC = 'human:approve-plan';

const gate = (state: GateState, requireRationale = false, over: Partial<GateFacts> = {}): GateFacts => ({
  state,
  choices: PLAN_GATE_CHOICES,
  policy: { requireRationale },
  allowedRoles: null,
  selfApprovalAllowed: false,
  requestedBy: 'key:requester',
  requirePlanHash: false,
  planHash: H1,
  ...over,
});
const reply = (over: Partial<IncomingReply> = {}): IncomingReply => ({
  topic: TOPIC,
  payloadHash: H1,
  actor: 'key:alice',
  actorRoles: ['developer'],
  choice: 'yes',
  alreadyVoted: false,
  ...over,
});
const recorded = (over: Partial<RecordedReply> = {}): RecordedReply => ({
  topic: TOPIC,
  payloadHash: H1,
  actor: 'key:alice',
  ...over,
});

describe('judgeReply (DESIGN section 3, in order)', () => {
  it('unknown gate is not-found, whatever else is wrong', () => {
    expect(judgeReply(undefined, undefined, reply({ choice: 'maybe' }))).toEqual({ kind: 'not-found' });
  });

  it('a choice outside the prompt is invalid-choice, even when the key was used or the gate is closed', () => {
    for (const state of Object.values(GateState)) {
      expect(judgeReply(gate(state), recorded(), reply({ choice: 'maybe' }))).toEqual({
        kind: 'invalid-choice',
        allowed: ['yes', 'no'],
      });
    }
  });

  it('choices are matched exactly (no case folding, no trimming)', () => {
    expect(judgeReply(gate(GateState.PENDING), undefined, reply({ choice: 'Yes' })).kind).toBe('invalid-choice');
    expect(judgeReply(gate(GateState.PENDING), undefined, reply({ choice: 'yes ' })).kind).toBe('invalid-choice');
  });

  it('a policy that requires a rationale refuses a blank one', () => {
    expect(judgeReply(gate(GateState.PENDING, true), undefined, reply({ rationale: '  ' })).kind).toBe(
      'rationale-required',
    );
    expect(judgeReply(gate(GateState.PENDING, true), undefined, reply()).kind).toBe('rationale-required');
    expect(judgeReply(gate(GateState.PENDING, true), undefined, reply({ rationale: 'because' })).kind).toBe('accept');
  });

  it('same key, payload and topic is a duplicate reporting the gate state, also after the gate closed', () => {
    expect(judgeReply(gate(GateState.RECEIVED), recorded(), reply())).toEqual({
      kind: 'duplicate',
      state: GateState.RECEIVED,
    });
    expect(judgeReply(gate(GateState.CANCELLED), recorded(), reply())).toEqual({
      kind: 'duplicate',
      state: GateState.CANCELLED,
    });
  });

  it('same key with another payload or another topic is a conflict, before the closed check', () => {
    expect(judgeReply(gate(GateState.RECEIVED), recorded({ payloadHash: H2 }), reply())).toEqual({ kind: 'conflict' });
    expect(judgeReply(gate(GateState.RECEIVED), recorded({ topic: 'human:other' }), reply())).toEqual({
      kind: 'conflict',
    });
    expect(judgeReply(gate(GateState.TIMED_OUT), recorded({ payloadHash: H2 }), reply())).toEqual({ kind: 'conflict' });
  });

  it('same key and payload from another principal is a conflict (drift), not a replay (section 11)', () => {
    expect(judgeReply(gate(GateState.RECEIVED), recorded({ actor: 'key:bob' }), reply())).toEqual({ kind: 'conflict' });
    expect(judgeReply(gate(GateState.PENDING), recorded({ actor: null }), reply())).toEqual({ kind: 'conflict' });
    expect(
      judgeReply(gate(GateState.RECEIVED), recorded({ actor: 'anonymous' }), reply({ actor: 'anonymous' })),
    ).toEqual({ kind: 'duplicate', state: GateState.RECEIVED });
  });

  it('a new key on a gate that left PENDING is late', () => {
    for (const state of [GateState.RECEIVED, GateState.TIMED_OUT, GateState.CANCELLED]) {
      expect(judgeReply(gate(state), undefined, reply())).toEqual({ kind: 'late', state });
    }
  });

  it('a new key on a PENDING gate is accepted with the decision of its choice', () => {
    expect(judgeReply(gate(GateState.PENDING), undefined, reply())).toEqual({
      kind: 'accept',
      choice: PLAN_GATE_CHOICES[0],
    });
    const no = judgeReply(gate(GateState.PENDING), undefined, reply({ choice: 'no' }));
    expect(no.kind === 'accept' && no.choice.decision).toBe(Decision.REJECT);
  });

  it('a required plan hash is a 400 before the replay check; a stale one is plan-changed after the 403s', () => {
    const g = gate(GateState.PENDING, false, { requirePlanHash: true });
    expect(judgeReply(g, recorded(), reply()).kind).toBe('plan-hash-required');
    expect(judgeReply(g, undefined, reply({ planHash: H1 })).kind).toBe('accept');
    expect(judgeReply(gate(GateState.PENDING), undefined, reply({ planHash: H2 }))).toEqual({
      kind: 'plan-changed',
      planHash: H1,
    });
    // Closed comes first.
    expect(judgeReply(gate(GateState.RECEIVED), undefined, reply({ planHash: H2 })).kind).toBe('late');
  });

  it('roles: a principal holding none of the allowed roles is refused; * holds every role', () => {
    const g = gate(GateState.PENDING, false, { allowedRoles: ['devops_engineer'] });
    expect(judgeReply(g, undefined, reply())).toEqual({ kind: 'role-not-allowed', roles: ['devops_engineer'] });
    expect(judgeReply(g, undefined, reply({ actorRoles: ['devops_engineer'] })).kind).toBe('accept');
    expect(judgeReply(g, undefined, reply({ actorRoles: ['*'] })).kind).toBe('accept');
    expect(judgeReply(g, undefined, reply({ actorRoles: [] })).kind).toBe('role-not-allowed');
    // A replay is answered before the role check (rule order of section 11).
    expect(judgeReply(g, recorded(), reply()).kind).toBe('duplicate');
  });

  it('self-approval: the requester may not approve, may reject, and anonymous is nobody in particular', () => {
    const g = gate(GateState.PENDING);
    expect(judgeReply(g, undefined, reply({ actor: 'key:requester' })).kind).toBe('self-approval');
    expect(judgeReply(g, undefined, reply({ actor: 'key:requester', choice: 'no' })).kind).toBe('accept');
    const allowed = gate(GateState.PENDING, false, { selfApprovalAllowed: true });
    expect(judgeReply(allowed, undefined, reply({ actor: 'key:requester' })).kind).toBe('accept');
    const anon = gate(GateState.PENDING, false, { requestedBy: 'anonymous' });
    expect(judgeReply(anon, undefined, reply({ actor: 'anonymous' })).kind).toBe('accept');
    expect(judgeReply(anon, undefined, reply({ actor: null })).kind).toBe('accept');
  });

  it('a second vote by the same principal is already-voted, after the role and self checks', () => {
    expect(judgeReply(gate(GateState.PENDING), undefined, reply({ alreadyVoted: true })).kind).toBe('already-voted');
    const roles = gate(GateState.PENDING, false, { allowedRoles: ['x'] });
    expect(judgeReply(roles, undefined, reply({ alreadyVoted: true })).kind).toBe('role-not-allowed');
  });

  it('is total and only accepts a valid choice on a PENDING gate with no recorded reply (property)', () => {
    const arbGate = fc.option(
      fc
        .record({ state: fc.constantFrom(...Object.values(GateState)), requireRationale: fc.boolean() })
        .map((g) => gate(g.state, g.requireRationale)),
      { nil: undefined },
    );
    const arbRecorded = fc.option(
      fc.record({
        topic: fc.constantFrom(TOPIC, 'human:x'),
        payloadHash: fc.constantFrom(H1, H2),
        actor: fc.constantFrom('key:a', 'key:b', null),
      }),
      { nil: undefined },
    );
    const arbReply = fc.record({
      topic: fc.constantFrom(TOPIC, 'human:x'),
      payloadHash: fc.constantFrom(H1, H2),
      actor: fc.constantFrom('key:a', 'key:b', null),
      actorRoles: fc.constantFrom(['*'], [], ['developer']),
      choice: fc.constantFrom('yes', 'no', 'maybe', ''),
      rationale: fc.option(fc.constantFrom('', ' ', 'why'), { nil: undefined }),
      planHash: fc.option(fc.constantFrom(H1, H2), { nil: undefined }),
      alreadyVoted: fc.boolean(),
    });
    fc.assert(
      fc.property(arbGate, arbRecorded, arbReply, (g, r, rep) => {
        const v = judgeReply(g, r, rep);
        const err = verdictError(v, 'w', 'approve-plan', 'k');
        if (v.kind === 'accept') {
          expect(g?.state).toBe(GateState.PENDING);
          expect(r).toBeUndefined();
          expect(rep.alreadyVoted).toBe(false);
          expect(rep.planHash === undefined || rep.planHash === g?.planHash).toBe(true);
          expect(['yes', 'no']).toContain(rep.choice);
        }
        if (v.kind === 'duplicate') {
          expect(r).toEqual({ topic: rep.topic, payloadHash: rep.payloadHash, actor: rep.actor });
        }
        expect(err === undefined).toBe(v.kind === 'accept' || v.kind === 'duplicate');
      }),
    );
  });
});

describe('verdictError', () => {
  const cases: [Parameters<typeof verdictError>[0], ErrorCode, number][] = [
    [{ kind: 'not-found' }, ErrorCode.GATE_NOT_FOUND, 404],
    [{ kind: 'invalid-choice', allowed: ['yes', 'no'] }, ErrorCode.INVALID_CHOICE, 400],
    [{ kind: 'rationale-required' }, ErrorCode.RATIONALE_REQUIRED, 400],
    [{ kind: 'plan-hash-required' }, ErrorCode.PLAN_HASH_REQUIRED, 400],
    [{ kind: 'role-not-allowed', roles: ['a'] }, ErrorCode.ROLE_NOT_ALLOWED, 403],
    [{ kind: 'self-approval' }, ErrorCode.SELF_APPROVAL, 403],
    [{ kind: 'already-voted' }, ErrorCode.ALREADY_VOTED, 409],
    [{ kind: 'plan-changed', planHash: H1 }, ErrorCode.PLAN_CHANGED, 409],
    [{ kind: 'conflict' }, ErrorCode.DEDUPE_CONFLICT, 409],
    [{ kind: 'late', state: GateState.TIMED_OUT }, ErrorCode.GATE_CLOSED, 409],
  ];
  it.each(cases)('%j answers %s (%i)', (verdict, code, status) => {
    const err = verdictError(verdict, 'w', 'g', 'k');
    expect(err?.code).toBe(code);
    expect(ERROR_STATUS[code]).toBe(status);
  });

  it('answers nothing for accepted and duplicate replies', () => {
    expect(verdictError({ kind: 'accept', choice: PLAN_GATE_CHOICES[0] }, 'w', 'g', 'k')).toBeUndefined();
    expect(verdictError({ kind: 'duplicate', state: GateState.RECEIVED }, 'w', 'g', 'k')).toBeUndefined();
  });
});
