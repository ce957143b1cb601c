import { chooseLogFormat, LogFormatError, logLineFormatter } from './log-format';

describe('chooseLogFormat', () => {
  it.each([
    [undefined, true, 'pretty'],
    [undefined, false, 'json'],
    ['', true, 'pretty'],
    ['auto', true, 'pretty'],
    ['AUTO', false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
    [' Pretty ', false, 'pretty'],
  ])('LOG_FORMAT=%p with stdout a terminal: %p gives %p', (setting, tty, expected) => {
    expect(chooseLogFormat(setting, tty)).toBe(expected);
  });

  it.each(['yaml', 'true', 'colour'])('refuses LOG_FORMAT=%s, naming the variable and the choices', (setting) => {
    expect(() => chooseLogFormat(setting, true)).toThrow(LogFormatError);
    expect(() => chooseLogFormat(setting, true)).toThrow(`LOG_FORMAT=${setting}: must be auto, json or pretty`);
  });
});

describe('logLineFormatter', () => {
  const request = JSON.stringify({
    level: 30,
    time: Date.UTC(2026, 0, 1, 12, 0, 0),
    pid: 42,
    service: 'gateway',
    req: { id: 'c-1', method: 'POST', url: '/api/runs' },
    res: { statusCode: 202 },
    responseTime: 4,
    msg: 'request completed',
  });
  const failure = JSON.stringify({
    level: 50,
    time: Date.UTC(2026, 0, 1, 12, 0, 0),
    service: 'gates',
    msg: 'handler failed',
    err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.js:1:1)' },
  });

  it('leaves lines unchanged under json', () => {
    const format = logLineFormatter('json', false);
    expect(format(request)).toBe(request);
    expect(format('plain')).toBe('plain');
  });

  it('prints one readable line per event under pretty: level, message, request line, extra fields', () => {
    const line = logLineFormatter('pretty', false)(request);
    expect(line).not.toContain('\n');
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: POST \/api\/runs 202 request completed \{"responseTime":4\}$/,
    );
  });

  it('keeps an error on its event line', () => {
    const line = logLineFormatter('pretty', false)(failure);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/ERROR: handler failed .*"message":"boom"/);
  });

  it('leads with the Nest context', () => {
    const line = logLineFormatter(
      'pretty',
      false,
    )(JSON.stringify({ level: 30, time: 0, context: 'NestFactory', msg: 'Starting' }));
    expect(line).toMatch(/INFO: NestFactory: Starting$/);
  });

  it('passes lines that are not JSON through, and colours only when asked', () => {
    const format = logLineFormatter('pretty', false);
    expect(format('[gates] GATE_POLICY_FILE=x: cannot read x')).toBe('[gates] GATE_POLICY_FILE=x: cannot read x');
    expect(format(request)).not.toContain('\u001b[');
    expect(logLineFormatter('pretty', true)(request)).toContain('\u001b[');
  });
});
