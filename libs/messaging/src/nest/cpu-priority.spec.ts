import { lowerCpuPriority, type PriorityCalls } from './cpu-priority';

/** A process of three threads started at `inherited`, recording every nice value set. */
function fakeProcess(inherited: number) {
  const nices = new Map([1, 2, 3].map((tid) => [tid, inherited]));
  const calls: PriorityCalls = {
    getPriority: (tid) => nices.get(tid === 0 ? 1 : tid)!,
    setPriority: (tid, nice) => void nices.set(tid, nice),
    threads: () => [...nices.keys()],
  };
  return { nices, calls };
}

describe('lowerCpuPriority (RUNS_NICE)', () => {
  it('sets every thread to the requested nice value', () => {
    const p = fakeProcess(0);
    lowerCpuPriority(7, () => undefined, p.calls);
    expect([...p.nices.values()]).toEqual([7, 7, 7]);
  });

  it('never raises the priority of a process started at a higher nice value', () => {
    const p = fakeProcess(10);
    lowerCpuPriority(7, () => undefined, p.calls);
    expect([...p.nices.values()]).toEqual([10, 10, 10]);
  });

  it('changes nothing for 0, and warns when even the main thread kept its priority', () => {
    const p = fakeProcess(0);
    lowerCpuPriority(0, () => undefined, p.calls);
    expect([...p.nices.values()]).toEqual([0, 0, 0]);

    const warnings: string[] = [];
    const denied: PriorityCalls = {
      ...p.calls,
      setPriority: () => {
        throw new Error('EACCES');
      },
    };
    lowerCpuPriority(5, (m) => void warnings.push(m), denied);
    expect(warnings).toEqual([
      expect.stringMatching(/could not set the CPU priority to nice 5: Error: EACCES; running at 0/),
    ]);
  });
});
