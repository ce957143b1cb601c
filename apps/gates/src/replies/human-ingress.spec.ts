import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { ANONYMOUS } from '@gatehouse/identity';
import { ingressCommand, parseHumanSubject } from './human-ingress.handler';

const wid = randomUUID();
const target = { workflowId: wid, gateKey: 'approve-plan' };

function codeOf(fn: () => unknown): ErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof GatehouseError) return err.code;
    throw err;
  }
}

describe('parseHumanSubject', () => {
  it('reads human.<wid>.<g>', () => expect(parseHumanSubject(`human.${wid}.approve-plan`)).toEqual(target));
  it.each(['human', `human.${wid}`, `human.${wid}.a.b`, `sys.${wid}.a`, 'human..a'])('refuses %s', (s) => {
    expect(parseHumanSubject(s)).toBeUndefined();
  });
});

describe('ingressCommand', () => {
  it('takes run and gate from the subject, topic human:<g>, origin jetstream by default', () => {
    const cmd = ingressCommand(target, { payload: { choice: 'yes' }, dedupeKey: 'k1' }, ANONYMOUS);
    expect(cmd).toMatchObject({
      workflowId: wid,
      gateKey: 'approve-plan',
      topic: 'human:approve-plan',
      origin: 'jetstream',
      actor: 'anonymous',
      dedupeKey: 'k1',
    });
  });

  it('keeps origin from the body, takes the actor from the principal, and accepts a forwarded HitlEvent body', () => {
    const body = {
      workflowId: wid,
      gateKey: 'approve-plan',
      topic: 'human:approve-plan',
      payload: { choice: 'no' },
      dedupeKey: 'k2',
      origin: 'ci-bot',
      actor: 'bob',
    };
    const principal = { id: 'key:k-1', kind: 'key' as const, name: 'ci', roles: [] };
    expect(ingressCommand(target, body, principal)).toMatchObject({ origin: 'ci-bot', actor: 'key:k-1' });
  });

  it.each([
    ['no subject target', undefined, { payload: { choice: 'yes' }, dedupeKey: 'k' }, ErrorCode.GATE_NOT_FOUND],
    ['missing dedupeKey', target, { payload: { choice: 'yes' } }, ErrorCode.VALIDATION_FAILED],
    ['unknown field', target, { payload: { choice: 'yes' }, dedupeKey: 'k', extra: 1 }, ErrorCode.VALIDATION_FAILED],
    ['array body', target, [], ErrorCode.VALIDATION_FAILED],
    [
      'body for another run',
      target,
      { workflowId: randomUUID(), payload: { choice: 'yes' }, dedupeKey: 'k' },
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'body for another gate',
      target,
      { gateKey: 'other', payload: { choice: 'yes' }, dedupeKey: 'k' },
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'body with another topic',
      target,
      { topic: 'human:other', payload: { choice: 'yes' }, dedupeKey: 'k' },
      ErrorCode.TOPIC_MISMATCH,
    ],
    [
      'bad gate key in the subject',
      { workflowId: wid, gateKey: 'BAD' },
      { payload: { choice: 'yes' }, dedupeKey: 'k' },
      ErrorCode.INVALID_GATE_KEY,
    ],
    [
      'non-UUID run in the subject',
      { workflowId: 'abc', gateKey: 'g' },
      { payload: { choice: 'yes' }, dedupeKey: 'k' },
      ErrorCode.GATE_NOT_FOUND,
    ],
  ])('%s -> %s', (_n, t, body, code) => {
    expect(codeOf(() => ingressCommand(t, body, ANONYMOUS))).toBe(code);
  });
});
