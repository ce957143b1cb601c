import { parseLoadArgs, UsageError } from './cli-args';

describe('parseLoadArgs', () => {
  it('reads a spawned run with overrides', () => {
    const a = parseLoadArgs([
      '--scenario',
      'burst',
      '--spawn',
      '--runs',
      '50',
      '--concurrency',
      '4',
      '--repeat',
      '3',
      '--env',
      'LOG_LEVEL=warn',
    ]);
    expect(a).toMatchObject({
      scenario: 'burst',
      spawn: true,
      runs: 50,
      concurrency: 4,
      repeat: 3,
      baseline: true,
      env: { LOG_LEVEL: 'warn' },
    });
  });

  it('reads a run against a running stack', () => {
    const a = parseLoadArgs([
      '--scenario',
      'load-1k',
      '--base-url',
      'http://127.0.0.1:3001',
      '--database-url',
      'postgres://postgres@127.0.0.1:5432/gatehouse',
      '--nats-url',
      'nats://127.0.0.1:4222',
      '--no-baseline',
    ]);
    expect(a).toMatchObject({
      spawn: false,
      baseUrl: 'http://127.0.0.1:3001',
      baseline: false,
      repeat: 1,
      gateTimeoutS: 120,
    });
  });

  it.each([
    [[], /--scenario is required/],
    [['--scenario', 'short'], /give --spawn/],
    [['--scenario', 'short', '--base-url', 'http://x:1'], /--database-url/],
    [['--scenario', 'short', '--spawn', '--base-url', 'http://x:1'], /drop --base-url/],
    [['--scenario', 'short', '--spawn', '--runs', '0'], /--runs must be an integer >= 1/],
    [['--scenario', 'short', '--spawn', '--runs', '2.5'], /--runs/],
    [['--scenario', 'short', '--spawn', '--env', 'lower=1'], /KEY=VALUE/],
    [['--scenario', 'short', '--spawn', '--baseline', '--no-baseline'], /contradict/],
    [['--scenario', 'short', '--base-url', 'ftp://x', '--database-url', 'postgres://x/y'], /http: or https:/],
    [['--scenario', 'short', '--spawn', '--bogus'], /bogus/],
    [['--scenario', 'short', '--spawn', '--rate', '0'], /--rate must be an integer >= 1/],
    [['--scenario', 'idle-gates', '--spawn', '--rate', '100'], /reply scenarios only/],
    [['--scenario', 'short', '--spawn', '--rate', '60,,80'], /--rate must be an integer >= 1/],
    [['--scenario', 'short', '--spawn', '--rate', '60,x'], /--rate must be an integer >= 1, got "x"/],
    [['--scenario', 'short', '--spawn', '--rate', '60,60'], /lists a rate twice/],
    [['--scenario', 'short', '--spawn', '--rate', '60', '--p99-target-ms', '0'], /--p99-target-ms/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseLoadArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseLoadArgs(argv as string[])).toThrow(message as RegExp);
  });

  it('reads an open-loop reply rate, or several in rising order for a sweep', () => {
    expect(parseLoadArgs(['--scenario', 'load-1k', '--spawn', '--rate', '250'])).toMatchObject({
      rates: [250],
      p99TargetMs: 50,
    });
    expect(parseLoadArgs(['--scenario', 'load-1k', '--spawn']).rates).toBeUndefined();
    expect(
      parseLoadArgs(['--scenario', 'load-1k', '--spawn', '--rate', '100, 60,80', '--p99-target-ms', '20']),
    ).toMatchObject({ rates: [60, 80, 100], p99TargetMs: 20 });
  });

  it('lets the baseline run with a database and NATS only', () => {
    const a = parseLoadArgs(['--scenario', 'baseline', '--database-url', 'postgres://x/y', '--nats-url', 'nats://h:1']);
    expect(a).toMatchObject({ scenario: 'baseline', databaseUrl: 'postgres://x/y', natsUrl: 'nats://h:1' });
  });
});
