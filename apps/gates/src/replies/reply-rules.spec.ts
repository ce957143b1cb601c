import 'reflect-metadata';
import fc from 'fast-check';
import { Decision, ErrorCode, ERROR_STATUS, GateState, PLAN_GATE_CHOICES } from '@gatehouse/contracts';
import { judgeReply, verdictError, type GateFacts, type IncomingReply, type RecordedReply } from './reply-rules';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const TOPIC = 'human:approve-plan';

const gate = (state: GateState, requireRationale = false): GateFacts => ({
  state,
  choices: PLAN_GATE_CHOICES,
  policy: { requireRationale },
});
const reply = (over: Partial<IncomingReply> = {}): IncomingReply => ({
  topic: TOPIC,
  payloadHash: H1,
  actor: 'key:alice',
  choice: 'yes',
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
      choice: fc.constantFrom('yes', 'no', 'maybe', ''),
      rationale: fc.option(fc.constantFrom('', ' ', 'why'), { nil: undefined }),
    });
    fc.assert(
      fc.property(arbGate, arbRecorded, arbReply, (g, r, rep) => {
        const v = judgeReply(g, r, rep);
        const err = verdictError(v, 'w', 'approve-plan', 'k');
        if (v.kind === 'accept') {
          expect(g?.state).toBe(GateState.PENDING);
          expect(r).toBeUndefined();
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
    [{ kind: 'rationale-required' }, ErrorCode.VALIDATION_FAILED, 400],
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
