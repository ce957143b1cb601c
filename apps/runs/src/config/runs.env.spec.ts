import 'reflect-metadata';
import { EnvValidationError, validateEnv } from '@gatehouse/contracts';
import { RunsEnv } from './runs.env';

describe('RunsEnv', () => {
  it('has working defaults that need nothing outside the machine', () => {
    const env = validateEnv(RunsEnv, {});
    expect(env).toMatchObject({
      OC_MODE: 'replay',
      OC_URL: '',
      SBX_MODE: 'mock',
      SBX_URL: '',
      SBX_MOCK_DELAY_MS: 50,
      SBX_QUEUE_PARTITION: true,
      LIVE_TIMEOUT_MS: 30_000,
      RUNS_NICE: 0,
    });
  });

  it('parses values from strings', () => {
    const env = validateEnv(RunsEnv, {
      OC_MODE: 'live',
      OC_URL: 'http://127.0.0.1:9000/compile',
      SBX_MODE: 'live',
      SBX_URL: 'https://sandbox.internal/run',
      SBX_MOCK_DELAY_MS: '0',
      SBX_QUEUE_PARTITION: 'FALSE',
      LIVE_TIMEOUT_MS: '1500',
      RUNS_NICE: '10',
    });
    expect(env).toMatchObject({
      OC_MODE: 'live',
      OC_URL: 'http://127.0.0.1:9000/compile',
      SBX_MODE: 'live',
      SBX_URL: 'https://sandbox.internal/run',
      SBX_MOCK_DELAY_MS: 0,
      SBX_QUEUE_PARTITION: false,
      LIVE_TIMEOUT_MS: 1500,
      RUNS_NICE: 10,
    });
  });

  it.each([
    [{ OC_MODE: 'live' }, 'OC_URL', 'required when OC_MODE=live'],
    [{ SBX_MODE: 'live' }, 'SBX_URL', 'required when SBX_MODE=live'],
    [{ OC_MODE: 'live', OC_URL: 'ftp://x/y' }, 'OC_URL', 'http(s) URL'],
    [{ SBX_MODE: 'live', SBX_URL: 'not a url' }, 'SBX_URL', 'http(s) URL'],
    [{ OC_MODE: 'offline' }, 'OC_MODE', 'OC_MODE'],
    [{ SBX_MODE: 'docker' }, 'SBX_MODE', 'SBX_MODE'],
    [{ SBX_MOCK_DELAY_MS: '60001' }, 'SBX_MOCK_DELAY_MS', 'SBX_MOCK_DELAY_MS'],
    [{ SBX_MOCK_DELAY_MS: '-1' }, 'SBX_MOCK_DELAY_MS', 'SBX_MOCK_DELAY_MS'],
    [{ SBX_MOCK_DELAY_MS: '2.5' }, 'SBX_MOCK_DELAY_MS', 'SBX_MOCK_DELAY_MS'],
    [{ SBX_QUEUE_PARTITION: 'yes' }, 'SBX_QUEUE_PARTITION', 'SBX_QUEUE_PARTITION'],
    [{ LIVE_TIMEOUT_MS: 'soon' }, 'LIVE_TIMEOUT_MS', 'LIVE_TIMEOUT_MS'],
    [{ RUNS_NICE: '20' }, 'RUNS_NICE', 'RUNS_NICE'],
    [{ RUNS_NICE: '-5' }, 'RUNS_NICE', 'RUNS_NICE'],
  ])('rejects %j, naming %s', (raw, variable, text) => {
    let error: unknown;
    try {
      validateEnv(RunsEnv, raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EnvValidationError);
    const message = (error as Error).message;
    expect(message).toContain(`  ${variable}=`);
    expect(message).toContain(text);
  });

  it('ignores the URL of an adapter that is not live', () => {
    expect(validateEnv(RunsEnv, { OC_URL: 'garbage', SBX_URL: 'garbage' }).OC_MODE).toBe('replay');
  });
});
