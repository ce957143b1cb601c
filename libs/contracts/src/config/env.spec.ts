import { IsBoolean, IsInt, Min } from 'class-validator';
import { adminPort, BoolFromEnv, CommonEnv, EnvValidationError, validateEnv } from './env';

class FlagEnv extends CommonEnv {
  @BoolFromEnv()
  @IsBoolean()
  FEATURE_ON = false;

  @BoolFromEnv()
  @IsBoolean()
  FEATURE_DEFAULT_ON = true;

  // An annotation makes tsc emit `design:type Boolean`; "false" must still parse as false.
  @BoolFromEnv()
  @IsBoolean()
  FEATURE_TYPED: boolean = true;

  @IsInt()
  @Min(0)
  DELAY_MS: number = 20;
}

describe('validateEnv', () => {
  it('keeps the class defaults for unset and empty variables', () => {
    const env = validateEnv(CommonEnv, { DB_POOL_MAX: '' });
    expect(env).toBeInstanceOf(CommonEnv);
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/gatehouse');
    expect(env.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.DB_POOL_MAX).toBe(10);
    expect(env.CONSUMER_CONCURRENCY).toBe(32);
    expect(env.CONSUMER_BATCH_MAX).toBe(32);
    expect(env.MAX_DELIVERIES).toBe(5);
    expect(env.STREAM_REPLICAS).toBe(1);
    expect(env.METRICS_PORT).toBe(0);
  });

  it('converts numeric strings to numbers and accepts several NATS servers', () => {
    const env = validateEnv(CommonEnv, {
      DB_POOL_MAX: '7',
      MAX_DELIVERIES: '3',
      CONSUMER_BATCH_MAX: '1',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      LOG_LEVEL: 'debug',
    });
    expect(env.DB_POOL_MAX).toBe(7);
    expect(env.MAX_DELIVERIES).toBe(3);
    expect(env.CONSUMER_BATCH_MAX).toBe(1);
    expect(env.NATS_URL).toBe('nats://a:4222,nats://b:4222');
    expect(env.LOG_LEVEL).toBe('debug');
  });

  it('ignores variables the class does not declare', () => {
    const env = validateEnv(CommonEnv, { PATH: '/bin', SOMETHING_ELSE: 'x' }) as unknown as Record<string, unknown>;
    expect(env.PATH).toBeUndefined();
    expect(env.SOMETHING_ELSE).toBeUndefined();
  });

  it.each([
    ['DB_POOL_MAX', 'abc'],
    ['DB_POOL_MAX', '0'],
    ['DB_POOL_MAX', '2.5'],
    ['MAX_DELIVERIES', '1000'],
    ['CONSUMER_BATCH_MAX', '0'],
    ['CONSUMER_BATCH_MAX', '1025'],
    ['CONSUMER_BATCH_MAX', '1.5'],
    ['LOG_LEVEL', 'loud'],
    ['METRICS_PORT', '-1'],
    ['METRICS_PORT', '65536'],
    ['METRICS_PORT', 'on'],
    ['NATS_URL', 'http://127.0.0.1:4222'],
    ['DATABASE_URL', 'mysql://x'],
  ])('rejects %s=%s and names the variable and the value', (name, value) => {
    let caught: unknown;
    try {
      validateEnv(CommonEnv, { [name]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EnvValidationError);
    const message = (caught as Error).message;
    expect(message).toContain(`${name}=${JSON.stringify(value)}`);
    // Only the bad variable is blamed.
    const blamed = message
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split('=')[0]);
    expect(blamed).toEqual([name]);
  });

  it('names every bad variable at once', () => {
    const attempt = () => validateEnv(CommonEnv, { DB_POOL_MAX: 'x', LOG_LEVEL: 'y' });
    expect(attempt).toThrow(/DB_POOL_MAX="x"/);
    expect(attempt).toThrow(/LOG_LEVEL="y"/);
  });

  it('converts numbers of subclass fields, annotated or not', () => {
    expect(validateEnv(FlagEnv, { DELAY_MS: '0', DB_POOL_MAX: ' 5 ' })).toMatchObject({ DELAY_MS: 0, DB_POOL_MAX: 5 });
    expect(() => validateEnv(FlagEnv, { DELAY_MS: '-1' })).toThrow(/DELAY_MS="-1"/);
    expect(() => validateEnv(FlagEnv, { DELAY_MS: '12ms' })).toThrow(/DELAY_MS="12ms"/);
  });

  describe('booleans with @BoolFromEnv', () => {
    it.each([
      ['true', true],
      ['false', false],
      ['TRUE', true],
      ['False', false],
      [' true ', true],
      [' false\n', false],
    ])('parses %j as %s', (raw, expected) => {
      expect(validateEnv(FlagEnv, { FEATURE_ON: raw }).FEATURE_ON).toBe(expected);
      expect(validateEnv(FlagEnv, { FEATURE_DEFAULT_ON: raw }).FEATURE_DEFAULT_ON).toBe(expected);
      expect(validateEnv(FlagEnv, { FEATURE_TYPED: raw }).FEATURE_TYPED).toBe(expected);
    });

    it('keeps the defaults when unset', () => {
      const env = validateEnv(FlagEnv, {});
      expect(env.FEATURE_ON).toBe(false);
      expect(env.FEATURE_DEFAULT_ON).toBe(true);
    });

    it.each(['yes', '1', '0', 'on', 'truthy'])('rejects %j naming the variable', (raw) => {
      expect(() => validateEnv(FlagEnv, { FEATURE_ON: raw })).toThrow(new RegExp(`FEATURE_ON=${JSON.stringify(raw)}`));
      expect(() => validateEnv(FlagEnv, { FEATURE_TYPED: raw })).toThrow(
        new RegExp(`FEATURE_TYPED=${JSON.stringify(raw)}`),
      );
    });

    it('accepts real booleans (ConfigModule may pass already-parsed values)', () => {
      expect(validateEnv(FlagEnv, { FEATURE_ON: true, FEATURE_DEFAULT_ON: false })).toMatchObject({
        FEATURE_ON: true,
        FEATURE_DEFAULT_ON: false,
      });
    });
  });
  describe('NATS credentials', () => {
    it('connects without credentials by default', () => {
      const env = validateEnv(CommonEnv, {});
      expect(env.NATS_USER).toBe('');
      expect(env.NATS_PASSWORD).toBe('');
    });

    it('takes a user and its password', () => {
      const env = validateEnv(CommonEnv, { NATS_USER: 'runs', NATS_PASSWORD: 's3cret-pw' });
      expect(env).toMatchObject({ NATS_USER: 'runs', NATS_PASSWORD: 's3cret-pw' });
    });

    it('refuses a user without a password and a password without a user', () => {
      expect(() => validateEnv(CommonEnv, { NATS_USER: 'runs' })).toThrow(/NATS_PASSWORD.*required when NATS_USER/);
      expect(() => validateEnv(CommonEnv, { NATS_PASSWORD: 'orphan-pw' })).toThrow(/NATS_USER.*required when/);
    });

    it('refuses a user name that is not a plain token', () => {
      expect(() => validateEnv(CommonEnv, { NATS_USER: 'runs.evil', NATS_PASSWORD: 'x' })).toThrow(
        /NATS_USER="runs.evil"/,
      );
    });

    it('never prints a secret in a validation error', () => {
      const secret = 'p'.repeat(1025);
      let message = '';
      try {
        validateEnv(CommonEnv, { NATS_USER: 'runs', NATS_PASSWORD: secret });
      } catch (err) {
        expect(err).toBeInstanceOf(EnvValidationError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/NATS_PASSWORD=\(secret, not shown\)/);
      expect(message).not.toContain('ppp');
    });
  });

  describe('admin port', () => {
    it('is ADMIN_PORT when set, whatever METRICS_PORT says', () => {
      expect(adminPort(validateEnv(CommonEnv, { ADMIN_PORT: '3002', METRICS_PORT: '9464' }))).toBe(3002);
    });

    it('falls back to METRICS_PORT when ADMIN_PORT is unset or 0, and is off when both are', () => {
      expect(adminPort(validateEnv(CommonEnv, { METRICS_PORT: '9464' }))).toBe(9464);
      expect(adminPort(validateEnv(CommonEnv, { ADMIN_PORT: '0', METRICS_PORT: '9464' }))).toBe(9464);
      expect(adminPort(validateEnv(CommonEnv, {}))).toBe(0);
    });

    it('rejects a port out of range, naming the variable', () => {
      expect(() => validateEnv(CommonEnv, { ADMIN_PORT: '70000' })).toThrow(/ADMIN_PORT="70000"/);
    });
  });
});
