import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { evidenceDir } from '../lanes/evidence-dir';
import { ROOT } from '../test-support/paths';
import { LANE_STEPS, laneLogName, SIGNOFF_LANES, type SignoffLane } from './lanes';
import { runCommand } from './run-command';

/**
 * `npm run quick|check|full`: the lane's steps in order, each once, output to the terminal and to
 * `.tmp/npm-<lane>.log`; stops at the first failing step and exits with its code.
 */
async function main(lane: string): Promise<number> {
  if (!SIGNOFF_LANES.includes(lane as SignoffLane)) {
    process.stderr.write(`usage: node dist/tools/release/lane-cli.js <${SIGNOFF_LANES.join('|')}>\n`);
    return 2;
  }
  const file = join(evidenceDir(), laneLogName(lane as SignoffLane));
  const log = createWriteStream(file);
  const say = (line: string) => {
    process.stdout.write(`${line}\n`);
    log.write(`${line}\n`);
  };
  let exitCode = 0;
  say(`== lane ${lane} started ${new Date().toISOString()}`);
  for (const step of LANE_STEPS[lane as SignoffLane]) {
    say(`== step ${step.name}: ${step.command}`);
    const r = await runCommand(step.command, [process.stdout, log], { cwd: ROOT });
    say(`== step ${step.name}: ${r.exitCode === 0 ? 'PASS' : `FAIL (exit ${r.exitCode})`} in ${r.durationS} s`);
    if (r.exitCode !== 0) {
      exitCode = r.exitCode;
      break;
    }
  }
  say(`== lane ${lane} ${exitCode === 0 ? 'PASS' : 'FAIL'} ${new Date().toISOString()}`);
  await new Promise<void>((resolve) => log.end(resolve));
  return exitCode;
}

main(process.argv[2] ?? '').then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`lane crashed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
