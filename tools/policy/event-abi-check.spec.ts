import { eventValidators, judgeEvent } from './event-abi-check';

/**
 * The schemas compile in ajv's strict mode, and judge the entries the e2e data does not reach (a
 * refused bus message, a cancelled gate). What the services really write is checked in
 * e2e/policy-lanes.e2e-spec.ts.
 */
describe('event value schemas', () => {
  const validators = eventValidators();
  const at = '2026-12-06T06:00:00.000Z';
  const topic = 'human:approve-plan';

  it('accept a refused bus message and a cancelled gate as the gates service writes them', () => {
    const rejected = {
      outcome: 'rejected_message',
      dedupeKey: 'k-1',
      origin: 'jetstream',
      topic,
      at,
      detail: {
        error: 'VALIDATION_FAILED',
        message: 'payload.choice must be a string',
        msgId: '7',
        subject: 'human.w.g',
      },
    };
    expect(judgeEvent(validators, 'audit', 'ui:approve-plan:audit', rejected)).toEqual([]);
    const cancelled = { outcome: 'cancelled', topic, at, detail: { runStatus: 'CANCELLED' } };
    expect(judgeEvent(validators, 'audit', 'ui:approve-plan:audit', cancelled)).toEqual([]);
  });

  it('refuse an unknown outcome, a gate entry without its detail and a bad instant', () => {
    expect(judgeEvent(validators, 'audit', 'ui:g:audit', { outcome: 'shrugged', at })).toEqual([
      '/outcome must be equal to one of the allowed values',
    ]);
    expect(judgeEvent(validators, 'audit', 'ui:g:audit', { outcome: 'cancelled', topic, at })).toEqual([
      "/ must have required property 'detail'",
      '/ must match "then" schema',
    ]);
    expect(
      judgeEvent(validators, 'decision', 'decision:g', { decision: 'approve', by: 'timer', at: 'yesterday' }),
    ).toEqual(['/at must match format "date-time"']);
  });
});
