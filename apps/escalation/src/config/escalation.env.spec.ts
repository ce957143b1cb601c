import 'reflect-metadata';
import { EnvValidationError, validateEnv } from '@gatehouse/contracts';
import { EscalationEnv } from './escalation.env';

describe('EscalationEnv', () => {
  it('defaults TIMER_RESCAN_S to 30 s', () => {
    expect(validateEnv(EscalationEnv, {}).TIMER_RESCAN_S).toBe(30);
  });

  it('reads TIMER_RESCAN_S from the environment', () => {
    expect(validateEnv(EscalationEnv, { TIMER_RESCAN_S: '5' }).TIMER_RESCAN_S).toBe(5);
    expect(validateEnv(EscalationEnv, { TIMER_RESCAN_S: '3600' }).TIMER_RESCAN_S).toBe(3600);
  });

  it.each(['0', '3601', '1.5', 'abc', '-1'])('refuses TIMER_RESCAN_S=%s, naming the variable', (value) => {
    expect(() => validateEnv(EscalationEnv, { TIMER_RESCAN_S: value })).toThrow(EnvValidationError);
    expect(() => validateEnv(EscalationEnv, { TIMER_RESCAN_S: value })).toThrow(/TIMER_RESCAN_S/);
  });
});
