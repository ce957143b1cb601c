import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvValidationError, validateEnv } from '@gatehouse/contracts';
import { generateApiKey } from '@gatehouse/identity';
import { GatesEnv } from './gates.env';

describe('GatesEnv', () => {
  it('defaults HITL_GATE_TIMEOUT_S to 3600 and GATE_POLICY_FILE to none', () => {
    const env = validateEnv(GatesEnv, {});
    expect(env.HITL_GATE_TIMEOUT_S).toBe(3600);
    expect(env.GATE_POLICY_FILE).toBe('');
  });

  it('reads an integer from the environment', () => {
    expect(validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: '5' }).HITL_GATE_TIMEOUT_S).toBe(5);
    expect(validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: '2592000' }).HITL_GATE_TIMEOUT_S).toBe(2_592_000);
  });

  it.each(['0', '-1', '2592001', '1.5', 'soon'])('refuses HITL_GATE_TIMEOUT_S=%s, naming the variable', (value) => {
    expect(() => validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: value })).toThrow(EnvValidationError);
    expect(() => validateEnv(GatesEnv, { HITL_GATE_TIMEOUT_S: value })).toThrow(/HITL_GATE_TIMEOUT_S/);
  });

  describe('GATE_POLICY_FILE', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gates-env-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('accepts a valid policy file', () => {
      const path = join(dir, 'ok.json');
      writeFileSync(path, JSON.stringify({ recipes: { deploy: { 'approve-plan': { timeoutAction: 'approve' } } } }));
      expect(validateEnv(GatesEnv, { GATE_POLICY_FILE: path }).GATE_POLICY_FILE).toBe(path);
    });

    it('refuses a missing or invalid file, naming the variable and the problem', () => {
      const missing = join(dir, 'missing.json');
      expect(() => validateEnv(GatesEnv, { GATE_POLICY_FILE: missing })).toThrow(
        new RegExp(`GATE_POLICY_FILE=.*cannot read ${missing}`),
      );
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ recipes: { deploy: { 'approve-plan': { timeoutS: -5 } } } }));
      expect(() => validateEnv(GatesEnv, { GATE_POLICY_FILE: bad })).toThrow(EnvValidationError);
      expect(() => validateEnv(GatesEnv, { GATE_POLICY_FILE: bad })).toThrow(
        /GATE_POLICY_FILE=.*approve-plan\.timeoutS/,
      );
    });
  });
});

describe('GatesEnv AUTH_BOOTSTRAP_ADMIN_KEY', () => {
  it('takes a key made by keygen', () => {
    const key = generateApiKey();
    expect(validateEnv(GatesEnv, { AUTH_BOOTSTRAP_ADMIN_KEY: key }).AUTH_BOOTSTRAP_ADMIN_KEY).toBe(key);
    expect(validateEnv(GatesEnv, {}).AUTH_BOOTSTRAP_ADMIN_KEY).toBe('');
  });

  /** A keygen key with its last character changed, so its checksum no longer matches. */
  const corrupted = () => {
    const key = generateApiKey();
    return `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
  };

  it.each(['admin', 'changeme-changeme-changeme-changeme', corrupted()])(
    'refuses the weak or malformed value %s without printing it',
    (value) => {
      let message = '';
      try {
        validateEnv(GatesEnv, { AUTH_BOOTSTRAP_ADMIN_KEY: value });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/AUTH_BOOTSTRAP_ADMIN_KEY/);
      expect(message).not.toContain(value);
    },
  );
});
