import 'reflect-metadata';
import { EnvValidationError, validateEnv } from '@gatehouse/contracts';
import { GatesEnv } from './gates.env';

describe('GatesEnv', () => {
  it('defaults HITL_GATE_TIMEOUT_S to 3600', () => {
    expect(validateEnv(GatesEnv, {}).HITL_GATE_TIMEOUT_S).toBe(3600);
  });

  it('reads an integer from the environment', () => {
    expect(validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: '5' }).HITL_GATE_TIMEOUT_S).toBe(5);
    expect(validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: '2592000' }).HITL_GATE_TIMEOUT_S).toBe(2_592_000);
  });

  it.each(['0', '-1', '2592001', '1.5', 'soon'])('refuses HITL_GATE_TIMEOUT_S=%s, naming the variable', (value) => {
    expect(() => validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: value })).toThrow(EnvValidationError);
    expect(() => validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: value })).toThrow(/HITL_GATE_TIMEOUT_S/);
  });
});
