import { join } from 'node:path';
import { freePort } from '../../test-support/free-port';
import { spawnUntilReady } from '../../test-support/process-control';
import { DIST_DIR } from '../../test-support/stack';

/** Each server of the HTTP-cost bench (compiled, from dist/) answers the reply route as the bench expects. */
describe('http-cost bench servers', () => {
  it.each(['raw', 'express', 'nest', 'nest-validated', 'nest-fastify', 'nest-fastify-validated'])(
    '%s answers the reply route with 200',
    async (mode) => {
      const port = await freePort();
      const child = await spawnUntilReady(join(DIST_DIR, 'tools', 'bench', 'http', 'http-cost-server.js'), [
        mode,
        String(port),
      ]);
      try {
        const post = (body: unknown) =>
          fetch(`http://127.0.0.1:${port}/api/runs/r1/gates/plan/reply`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        const ok = await post({ payload: { choice: 'yes' }, dedupeKey: 'k1' });
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({ ok: true, state: 'RECEIVED', duplicate: false, dedupeKey: 'k1' });
        // Only the validated server judges the body: the others measure the HTTP layer alone.
        const bad = await post({ payload: { choice: 'maybe' }, dedupeKey: 'k2' });
        expect(bad.status).toBe(mode.endsWith('-validated') ? 400 : 200);
      } finally {
        child.kill();
      }
    },
    30_000,
  );
});
