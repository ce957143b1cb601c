import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { ErrorCode, GatehouseError, payloadHash } from '@gatehouse/contracts';
import { parseReplyCommand } from './reply-command';

const wid = randomUUID();
const valid = () => ({
  workflowId: wid,
  gateKey: 'approve-plan',
  topic: 'human:approve-plan',
  payload: { choice: 'yes', rationale: 'ok' },
  dedupeKey: 'dk-1',
  origin: 'rest',
  actor: null as string | null,
});

function codeOf(raw: unknown): ErrorCode | 'ok' {
  try {
    parseReplyCommand(raw);
    return 'ok';
  } catch (err) {
    if (err instanceof GatehouseError) return err.code;
    throw err;
  }
}

describe('parseReplyCommand', () => {
  it('accepts a valid command, keeps the payload as sent and hashes it canonically', () => {
    const cmd = parseReplyCommand({
      ...valid(),
      workflowId: wid.toUpperCase(),
      payload: { rationale: 'ok', choice: 'yes' },
    });
    expect(cmd).toEqual({
      workflowId: wid,
      gateKey: 'approve-plan',
      topic: 'human:approve-plan',
      payload: { rationale: 'ok', choice: 'yes' },
      payloadHash: payloadHash({ choice: 'yes', rationale: 'ok' }),
      dedupeKey: 'dk-1',
      origin: 'rest',
      actor: null,
      onBehalfOf: null,
      actorRoles: [],
    });
    expect(cmd.payloadHash).toMatch(/^[a-f0-9]{64}$/);
  });

  it('accepts a patch and an actor', () => {
    const raw = {
      ...valid(),
      actor: 'alice',
      payload: { choice: 'yes', patch: [{ op: 'replace', path: '/steps/0', value: { x: 1 } }] },
    };
    expect(parseReplyCommand(raw).actor).toBe('alice');
  });

  it.each([
    ['not an object', 'nope', ErrorCode.VALIDATION_FAILED],
    ['an array', [valid()], ErrorCode.VALIDATION_FAILED],
    ['bad gate key', { ...valid(), gateKey: 'Approve_Plan' }, ErrorCode.INVALID_GATE_KEY],
    ['gate key too long', { ...valid(), gateKey: 'a'.repeat(64) }, ErrorCode.INVALID_GATE_KEY],
    ['missing gate key', { ...valid(), gateKey: undefined }, ErrorCode.INVALID_GATE_KEY],
    ['missing dedupeKey', { ...valid(), dedupeKey: undefined }, ErrorCode.VALIDATION_FAILED],
    ['dedupeKey with a space', { ...valid(), dedupeKey: 'a b' }, ErrorCode.VALIDATION_FAILED],
    ['dedupeKey too long', { ...valid(), dedupeKey: 'k'.repeat(201) }, ErrorCode.VALIDATION_FAILED],
    ['missing payload', { ...valid(), payload: undefined }, ErrorCode.VALIDATION_FAILED],
    ['array payload', { ...valid(), payload: [{ choice: 'yes' }] }, ErrorCode.VALIDATION_FAILED],
    ['string payload', { ...valid(), payload: 'yes' }, ErrorCode.VALIDATION_FAILED],
    ['missing choice', { ...valid(), payload: { rationale: 'x' } }, ErrorCode.VALIDATION_FAILED],
    ['empty choice', { ...valid(), payload: { choice: '' } }, ErrorCode.VALIDATION_FAILED],
    ['numeric choice', { ...valid(), payload: { choice: 1 } }, ErrorCode.VALIDATION_FAILED],
    ['unknown payload field', { ...valid(), payload: { choice: 'yes', extra: 1 } }, ErrorCode.VALIDATION_FAILED],
    [
      'bad patch op',
      { ...valid(), payload: { choice: 'yes', patch: [{ op: 'explode', path: '/a' }] } },
      ErrorCode.VALIDATION_FAILED,
    ],
    ['nested array in patch', { ...valid(), payload: { choice: 'yes', patch: [[]] } }, ErrorCode.VALIDATION_FAILED],
    ['unknown command field', { ...valid(), sneaky: true }, ErrorCode.VALIDATION_FAILED],
    ['empty origin', { ...valid(), origin: '' }, ErrorCode.VALIDATION_FAILED],
    ['numeric actor', { ...valid(), actor: 5 }, ErrorCode.VALIDATION_FAILED],
    ['topic of another gate', { ...valid(), topic: 'human:other' }, ErrorCode.TOPIC_MISMATCH],
    ['sys topic', { ...valid(), topic: 'sys:approve-plan' }, ErrorCode.TOPIC_MISMATCH],
    ['non-UUID workflow id', { ...valid(), workflowId: 'not-a-uuid' }, ErrorCode.GATE_NOT_FOUND],
    ['SQL in the workflow id', { ...valid(), workflowId: "' OR 1=1 --" }, ErrorCode.GATE_NOT_FOUND],
  ])('%s -> %s', (_name, raw, code) => {
    expect(codeOf(raw)).toBe(code);
  });

  it('checks the shape (400) before the workflow id (404)', () => {
    expect(codeOf({ ...valid(), workflowId: 'x', payload: { choice: 5 } })).toBe(ErrorCode.VALIDATION_FAILED);
  });

  it('lists the failing fields in details', () => {
    try {
      parseReplyCommand({ ...valid(), payload: { choice: 'yes', extra: 1 }, dedupeKey: '' });
      throw new Error('expected a refusal');
    } catch (err) {
      const details = (err as GatehouseError).details as { field: string }[];
      expect(details.map((d) => d.field).sort()).toEqual(['dedupeKey', 'payload.extra']);
    }
  });
});
