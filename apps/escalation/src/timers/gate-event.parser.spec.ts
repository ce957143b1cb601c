import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DecidedBy, Decision, GateState, subjects, TimeoutAction } from '@gatehouse/contracts';
import { PoisonMessageError } from '@gatehouse/messaging';
import {
  GATE_CANCELLED_PREFIX,
  GATE_DECIDED_PREFIX,
  GATE_OPENED_PREFIX,
  parseGateCancelled,
  parseGateDecided,
  parseGateOpened,
} from './gate-event.parser';

const wid = randomUUID();
const g = 'approve-plan';
const policy = { timeoutS: 60, timeoutAction: TimeoutAction.REJECT, escalationChain: [], requireRationale: false };
const opened = { workflowId: wid, gateKey: g, deadlineAt: '2030-01-01T00:00:00.000Z', policy };
const decided = {
  workflowId: wid,
  gateKey: g,
  state: GateState.RECEIVED,
  decision: Decision.APPROVE,
  by: DecidedBy.HUMAN,
  choice: 'yes',
  rationale: null,
  patch: null,
  actor: null,
  at: '2030-01-01T00:00:00.000Z',
};

describe('gate event parsing', () => {
  it('uses the subject prefixes of the contract', () => {
    expect(subjects.gateOpened(wid, g).startsWith(GATE_OPENED_PREFIX)).toBe(true);
    expect(subjects.gateDecided(wid, g).startsWith(GATE_DECIDED_PREFIX)).toBe(true);
    expect(GATE_OPENED_PREFIX).toBe('evt.gates.gate-opened.');
    expect(GATE_DECIDED_PREFIX).toBe('evt.gates.gate-decided.');
  });

  it('reads a gate-opened event', () => {
    expect(parseGateOpened(subjects.gateOpened(wid, g), opened)).toEqual({
      workflowId: wid,
      gateKey: g,
      deadlineAt: new Date('2030-01-01T00:00:00.000Z'),
      action: 'reject',
      policy,
    });
  });

  it('reads a gate-decided event', () => {
    expect(parseGateDecided(subjects.gateDecided(wid, g), decided)).toEqual({
      workflowId: wid,
      gateKey: g,
      state: 'RECEIVED',
      decision: 'approve',
      by: 'human',
      escalatedTo: null,
      at: new Date('2030-01-01T00:00:00.000Z'),
    });
    const escalated = { ...decided, state: 'TIMED_OUT', decision: 'timeout', by: 'timer', escalatedTo: `${g}-e1` };
    expect(parseGateDecided(subjects.gateDecided(wid, g), escalated)).toMatchObject({ escalatedTo: `${g}-e1` });
    expect(() => parseGateDecided(subjects.gateDecided(wid, g), { ...escalated, escalatedTo: 'Bad Key' })).toThrow(
      PoisonMessageError,
    );
  });

  it('reads a gate-cancelled event as a gate that left PENDING without a decision', () => {
    const cancelled = {
      workflowId: wid,
      gateKey: g,
      rootGateKey: g,
      state: 'CANCELLED',
      runStatus: 'ERROR',
      at: '2030-01-01T00:00:00.000Z',
    };
    expect(subjects.gateCancelled(wid, g).startsWith(GATE_CANCELLED_PREFIX)).toBe(true);
    expect(parseGateCancelled(subjects.gateCancelled(wid, g), cancelled)).toEqual({
      workflowId: wid,
      gateKey: g,
      state: 'CANCELLED',
      decision: null,
      by: null,
      escalatedTo: null,
      at: new Date('2030-01-01T00:00:00.000Z'),
    });
    expect(() => parseGateCancelled(subjects.gateCancelled(wid, g), { ...cancelled, state: 'RECEIVED' })).toThrow(
      PoisonMessageError,
    );
    expect(() => parseGateCancelled(subjects.gateCancelled(randomUUID(), g), cancelled)).toThrow(PoisonMessageError);
  });

  it.each([
    ['a non-object body', 'x'],
    ['an array', [opened]],
    ['a non-UUID workflow id', { ...opened, workflowId: 'run-1' }],
    ['a bad gate key', { ...opened, gateKey: 'Bad Key' }],
    ['a missing deadline', { ...opened, deadlineAt: undefined }],
    ['an unreadable deadline', { ...opened, deadlineAt: 'tomorrow' }],
    ['a numeric deadline', { ...opened, deadlineAt: 1893456000000 }],
    ['a missing policy', { ...opened, policy: undefined }],
    ['an unknown timeout action', { ...opened, policy: { ...policy, timeoutAction: 'ignore' } }],
  ])('rejects a gate-opened event with %s as poison', (_label, body) => {
    expect(() => parseGateOpened(subjects.gateOpened(wid, g), body)).toThrow(PoisonMessageError);
  });

  it('rejects a gate-opened body about another gate than its subject', () => {
    expect(() => parseGateOpened(subjects.gateOpened(randomUUID(), g), opened)).toThrow(PoisonMessageError);
    expect(() => parseGateOpened(subjects.gateOpened(wid, 'other-gate'), opened)).toThrow(PoisonMessageError);
  });

  it.each([
    ['a pending state', { ...decided, state: 'PENDING' }],
    ['an unknown state', { ...decided, state: 'DONE' }],
    ['an unknown decision', { ...decided, decision: 'maybe' }],
    ['an unknown decider', { ...decided, by: 'robot' }],
    ['an unreadable time', { ...decided, at: 'now' }],
  ])('rejects a gate-decided event with %s as poison', (_label, body) => {
    expect(() => parseGateDecided(subjects.gateDecided(wid, g), body)).toThrow(PoisonMessageError);
  });

  it('rejects a gate-decided body about another gate than its subject', () => {
    expect(() => parseGateDecided(subjects.gateDecided(randomUUID(), g), decided)).toThrow(PoisonMessageError);
  });
});
