/**
 * Preloaded into a service by `runner --profile-dir DIR` (NODE_OPTIONS=-r this file): the first
 * SIGWINCH (a signal whose default is to be ignored, and one Nest's shutdown hooks leave alone,
 * unlike SIGUSR2) starts the V8 CPU profiler, the next one writes `<service>-<pid>-<n>.cpuprofile` into
 * GATEHOUSE_CPU_PROFILE_DIR. The runner signals at the edges of the reply phase, so a profile shows
 * where the reply burst spends CPU, not the boot. Open it in Chrome DevTools or summarize it with
 * `node dist/tools/load/cpu-profile-summary.js FILE`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.GATEHOUSE_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  let n = 0;
  process.on('SIGWINCH', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      mkdirSync(dir, { recursive: true });
      const name = `${process.env.GATEHOUSE_SERVICE ?? 'node'}-${process.pid}-${n++}.cpuprofile`;
      writeFileSync(join(dir, name), JSON.stringify(res.profile));
    });
  });
}
