import { freePort } from './free-port';

describe('freePort', () => {
  it('never hands out the same port twice, even when the kernel offers a just-closed one again', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.every((p) => p > 0 && p < 65536)).toBe(true);
  });
});
