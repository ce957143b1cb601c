import fc from 'fast-check';
import { eventKeyKind, EVENT_KEY_PATTERNS, TOPIC_PATTERNS } from './event-patterns';
import { eventKeys, GATE_KEY_PATTERN, topics } from './gate-abi';

/** The patterns the policy lanes check against say exactly what the ABI constants write. */
describe('frozen key and topic patterns', () => {
  const gateKey = fc.stringMatching(GATE_KEY_PATTERN);

  it('recognise each key the constants build as its own kind, for any valid gate key', () => {
    fc.assert(
      fc.property(gateKey, (g) => {
        expect(eventKeyKind(eventKeys.prompt(g))).toBe('prompt');
        expect(eventKeyKind(eventKeys.result(g))).toBe('result');
        expect(eventKeyKind(eventKeys.decision(g))).toBe('decision');
        expect(eventKeyKind(eventKeys.audit(g))).toBe('audit');
        expect(new RegExp(TOPIC_PATTERNS.human).test(topics.human(g))).toBe(true);
      }),
    );
  });

  it.each([
    'ui:approve-plan:note',
    'ui:Approve-Plan',
    'decision:approve-plan:result',
    'ui:-plan',
    'human:approve-plan',
    'approval:approve-plan',
    `ui:${'a'.repeat(64)}`,
    'ui:',
  ])('recognise no other key: %s', (key) => {
    expect(eventKeyKind(key)).toBeUndefined();
  });

  it('read the same in Postgres as in JavaScript (no syntax only one of them knows)', () => {
    for (const p of [...Object.values(EVENT_KEY_PATTERNS), ...Object.values(TOPIC_PATTERNS)]) {
      expect(p).toMatch(/^\^[a-z:[\]0-9{},._-]+\$$/);
    }
  });
});
