import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { PLAN_GATE_CHOICES, TimeoutAction } from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import { parseDeadlinePassed, parseGateRequested, parseRunFinished } from './inbound-events';

const wid = randomUUID();
const request = () => ({
  workflowId: wid,
  gateKey: 'approve-plan',
  title: 'Approve the plan',
  plan: { steps: [1, 2] },
  planHash: 'f'.repeat(64),
  choices: PLAN_GATE_CHOICES,
  recipeName: 'agent-plan',
  requestedBy: 'key:7d1c',
  intent: { inputs: { action: 'delete' }, constraints: {} },
});

describe('parseGateRequested', () => {
  it('keeps a valid request', () => {
    expect(parseGateRequested(request())).toEqual(request());
  });

  it('reads a request from before the requester and intent were carried as having neither', () => {
    const { requestedBy: _r, intent: _i, ...older } = request();
    expect(parseGateRequested(older)).toEqual({ ...older, requestedBy: null });
  });

  it.each([
    ['not an object', null],
    ['non-UUID workflow id', { ...request(), workflowId: 'x' }],
    ['bad gate key', { ...request(), gateKey: 'A' }],
    ['no choices', { ...request(), choices: [] }],
    ['choice with an unknown decision', { ...request(), choices: [{ value: 'y', label: 'Y', decision: 'timeout' }] }],
    ['repeated choice', { ...request(), choices: [PLAN_GATE_CHOICES[0], PLAN_GATE_CHOICES[0]] }],
    ['missing recipe', { ...request(), recipeName: undefined }],
    ['numeric title', { ...request(), title: 3 }],
    ['a plan hash that is not SHA-256 hex', { ...request(), planHash: 'F'.repeat(64) }],
    ['an empty requester', { ...request(), requestedBy: '' }],
    ['intent inputs that are not a map', { ...request(), intent: { inputs: [], constraints: {} } }],
  ])('%s is poison', (_n, body) => {
    expect(() => parseGateRequested(body)).toThrow(PoisonMessageError);
  });
});

describe('parseDeadlinePassed', () => {
  const ev = {
    workflowId: wid,
    gateKey: 'approve-plan',
    deadlineAt: new Date().toISOString(),
    action: TimeoutAction.REJECT,
    escalationId: `esc:${wid}:approve-plan`,
  };
  it('keeps a valid event', () => expect(parseDeadlinePassed(ev)).toEqual(ev));
  it('refuses an unknown action', () =>
    expect(() => parseDeadlinePassed({ ...ev, action: 'explode' })).toThrow(PoisonMessageError));
  it('refuses a bad gate key', () =>
    expect(() => parseDeadlinePassed({ ...ev, gateKey: '' })).toThrow(PoisonMessageError));
});

describe('parseRunFinished', () => {
  it('keeps id and status', () =>
    expect(parseRunFinished({ workflowID: wid.toUpperCase(), status: 'ERROR', version: 3 })).toEqual({
      workflowID: wid,
      status: 'ERROR',
    }));
  it('refuses a non-UUID id', () =>
    expect(() => parseRunFinished({ workflowID: 'x', status: 'ERROR' })).toThrow(PoisonMessageError));
  it.each(['PENDING', 'ENQUEUED', 7, undefined])('refuses a status that is not terminal: %j', (status) =>
    expect(() => parseRunFinished({ workflowID: wid, status })).toThrow(PoisonMessageError),
  );
});
