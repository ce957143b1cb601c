import { runScenario, type ScenarioReport } from '../load/scenario-run';
import { resolveScenario } from '../load/scenarios';
import { spawnTarget } from '../load/target';

/**
 * `--spawn` for the policy lanes: a private stack (tools/load/target.ts), the load runner's `short`
 * scenario through it (runs, replies, exact replays, drifts, every run to its end), then `work` on
 * the database that traffic left, before the stack and its database go.
 */
export async function withTrafficDatabase<T>(
  log: (line: string) => void,
  work: (databaseUrl: string, traffic: ScenarioReport) => Promise<T>,
): Promise<T> {
  const target = await spawnTarget('policy-lanes', {});
  try {
    const traffic = await runScenario({
      scenario: resolveScenario('short'),
      target,
      baseline: false,
      gateTimeoutS: 120,
      terminalTimeoutS: 300,
      log,
    });
    if (!traffic.ok) throw new Error(`the short scenario failed, nothing to check: ${traffic.failures.join('; ')}`);
    return await work(target.databaseUrl, traffic);
  } finally {
    await target.stop();
  }
}
