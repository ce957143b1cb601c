import { CliError } from '../cli-error';
import { ExitCode, exitCodeForStatus } from '../exit-codes';
import { countdown, formatSpan, parseDuration } from '../output/durations';
import { resolveApiSettings } from './api-settings';

describe('CLI settings, durations and exit codes', () => {
  it('takes GATEHOUSE_URL/TOKEN from the environment, flags first, with a local default', () => {
    expect(resolveApiSettings({}, {})).toEqual({
      baseUrl: 'http://127.0.0.1:3001',
      token: undefined,
      actor: undefined,
    });
    expect(resolveApiSettings({}, { GATEHOUSE_URL: 'https://gh.example.com/', GATEHOUSE_TOKEN: 't1' })).toEqual({
      baseUrl: 'https://gh.example.com',
      token: 't1',
      actor: undefined,
    });
    expect(
      resolveApiSettings(
        { url: 'http://other:8080', token: 't2', as: 'bob' },
        { GATEHOUSE_URL: 'http://x', GATEHOUSE_TOKEN: 't1' },
      ),
    ).toEqual({
      baseUrl: 'http://other:8080',
      token: 't2',
      actor: 'bob',
    });
  });

  it.each([
    [{ GATEHOUSE_URL: 'nope' }, 'is not a URL'],
    [{ GATEHOUSE_URL: 'ftp://gh.example.com' }, 'http:// or https://'],
    [{ GATEHOUSE_URL: 'https://user:pw@gh.example.com' }, 'must not carry credentials'],
    [{ GATEHOUSE_TOKEN: 'has space' }, 'printable characters'],
  ])('refuses %j as a configuration error (78)', (env, message) => {
    let err: unknown;
    try {
      resolveApiSettings({}, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.CONFIG);
    expect((err as CliError).message).toContain(message);
  });

  it('maps API statuses to the documented exit codes', () => {
    expect([400, 401, 403, 404, 409, 413, 415, 429, 500, 503].map(exitCodeForStatus)).toEqual([
      2, 4, 4, 3, 5, 2, 2, 1, 1, 1,
    ]);
  });

  it('parses durations and formats countdowns', () => {
    expect(parseDuration('90s', '--x')).toBe(90);
    expect(parseDuration('1d12h', '--x')).toBe(129_600);
    expect(parseDuration('2w', '--x')).toBe(1_209_600);
    for (const bad of ['', '30', '5y', '1h 2m', '-1h', '0s']) expect(() => parseDuration(bad, '--x')).toThrow(CliError);
    expect(formatSpan(3_900)).toBe('1h05m');
    expect(formatSpan(200_000)).toBe('2d07h');
    const now = new Date('2026-12-06T08:00:00Z');
    expect(countdown('2026-12-06T08:59:59Z', now)).toBe('in 59m');
    expect(countdown('2026-12-06T07:59:15Z', now)).toBe('overdue 45s');
    expect(countdown(null, now)).toBe('-');
  });
});
