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

describe('EscalationEnv: webhooks', () => {
  it('defaults to the Standard Webhooks schedule, https only, and no key (the development key)', () => {
    const env = validateEnv(EscalationEnv, {});
    expect(env.WEBHOOK_RETRY_SCHEDULE_S).toBe('5,300,1800,7200,18000,36000,36000');
    expect(env.WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(env.WEBHOOK_SECRET_KEY).toBe('');
  });

  it('reads a short schedule for tests and WEBHOOK_ALLOW_PRIVATE', () => {
    const env = validateEnv(EscalationEnv, { WEBHOOK_RETRY_SCHEDULE_S: '0.2,0.5', WEBHOOK_ALLOW_PRIVATE: 'true' });
    expect(env.WEBHOOK_RETRY_SCHEDULE_S).toBe('0.2,0.5');
    expect(env.WEBHOOK_ALLOW_PRIVATE).toBe(true);
  });

  it.each(['soon', '1,0', '100000', '1,,2'])('refuses WEBHOOK_RETRY_SCHEDULE_S=%j, naming it', (value) => {
    expect(() => validateEnv(EscalationEnv, { WEBHOOK_RETRY_SCHEDULE_S: value })).toThrow(/WEBHOOK_RETRY_SCHEDULE_S/);
  });

  it('refuses a short WEBHOOK_SECRET_KEY by name, never printing it', () => {
    const attempt = () => validateEnv(EscalationEnv, { WEBHOOK_SECRET_KEY: 'short-secret-value' });
    expect(attempt).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(attempt).not.toThrow(/short-secret-value/);
  });
});

describe('EscalationEnv: no development key under AUTH_MODE=required', () => {
  const key = 'k'.repeat(44);

  it('refuses an empty WEBHOOK_SECRET_KEY under AUTH_MODE=required, naming the variable', () => {
    const attempt = () => validateEnv(EscalationEnv, { AUTH_MODE: 'required' });
    expect(attempt).toThrow(EnvValidationError);
    expect(attempt).toThrow(/WEBHOOK_SECRET_KEY is required when AUTH_MODE=required/);
    expect(() => validateEnv(EscalationEnv, { AUTH_MODE: 'required', WEBHOOK_SECRET_KEY: '' })).toThrow(
      /WEBHOOK_SECRET_KEY/,
    );
  });

  it('starts under AUTH_MODE=required with a key, and under off without one (the laptop)', () => {
    expect(validateEnv(EscalationEnv, { AUTH_MODE: 'required', WEBHOOK_SECRET_KEY: key })).toMatchObject({
      AUTH_MODE: 'required',
      WEBHOOK_SECRET_KEY: key,
    });
    expect(validateEnv(EscalationEnv, {}).AUTH_MODE).toBe('off');
    expect(validateEnv(EscalationEnv, { AUTH_MODE: 'off' }).WEBHOOK_SECRET_KEY).toBe('');
  });

  it('still refuses a short key under AUTH_MODE=required, never printing it', () => {
    const attempt = () =>
      validateEnv(EscalationEnv, { AUTH_MODE: 'required', WEBHOOK_SECRET_KEY: 'short-secret-value' });
    expect(attempt).toThrow(/at least 32 characters/);
    expect(attempt).not.toThrow(/short-secret-value/);
  });

  it('refuses an AUTH_MODE the other services would refuse', () => {
    expect(() => validateEnv(EscalationEnv, { AUTH_MODE: 'on', WEBHOOK_SECRET_KEY: key })).toThrow(/AUTH_MODE/);
  });
});
