import { runCli } from './program';
import { memoryIo } from './test/memory-io';

describe('gatehouse (the program)', () => {
  let written = '';
  let spy: jest.SpyInstance;
  beforeEach(() => {
    written = '';
    // commander prints help and usage errors itself, on the process's streams.
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => ((written += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => ((written += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('lists every command of DESIGN section 14 and the exit codes in --help (exit 0)', async () => {
    expect(await runCli(['--help'], memoryIo({}))).toBe(0);
    expect(spy).toHaveBeenCalled();
    for (const command of [
      'pending',
      'show',
      'approve',
      'reject',
      'status',
      'watch',
      'pause',
      'resume',
      'cancel',
      'keys',
      'webhooks',
      'oracle',
      'prune',
      'migrate',
    ]) {
      expect(written).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    for (const code of ['0', '1', '2', '3', '4', '5', '8', '78'])
      expect(written).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
    expect(written).toContain('GATEHOUSE_URL');
    expect(written).toContain('GATEHOUSE_TOKEN');
  });

  it('exits 2 for an unknown command, an unknown option, a missing argument or a missing subcommand', async () => {
    expect(await runCli(['frobnicate'], memoryIo({}))).toBe(2);
    expect(await runCli(['status', 'x', '--colour'], memoryIo({}))).toBe(2);
    expect(await runCli(['show'], memoryIo({}))).toBe(2);
    expect(await runCli(['keys'], memoryIo({}))).toBe(2);
  });

  it('exits 78 for an invalid GATEHOUSE_URL before any request', async () => {
    const io = memoryIo({ GATEHOUSE_URL: 'gatehouse.example.com' });
    expect(await runCli(['status', 'x'], io)).toBe(78);
    expect(io.stderr).toEqual(['error: GATEHOUSE_URL is not a URL: "gatehouse.example.com"']);
  });
});
