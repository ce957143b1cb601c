import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evidenceDir } from '../lanes/evidence-dir';
import { defaultDatabaseUrl, redactedUrl } from './lane-database';
import { POLICY_LANES, runPolicyLane, type PolicyLane } from './policy-lanes';
import { withTrafficDatabase } from './traffic-database';

const USAGE = `usage: node dist/tools/policy/policy-cli.js <abi|event-abi|correctness|all>
         [--database-url URL | --spawn] [--out-dir DIR]
  Checks DATABASE_URL (default: the services' own database) unless told otherwise; --spawn starts a
  private stack, puts the load runner's short scenario through it and checks that database.
  Exit 0: every lane passed; 1: a lane found a violation; 2: bad usage or the check could not run.`;

async function main(argv: string[]): Promise<number> {
  let lanes: PolicyLane[];
  let values;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'database-url': { type: 'string' },
        spawn: { type: 'boolean', default: false },
        'out-dir': { type: 'string' },
      },
    });
    values = parsed.values;
    const [name, ...rest] = parsed.positionals;
    if (rest.length) throw new Error(`one lane at a time, got ${parsed.positionals.join(' ')}`);
    if (name === 'all') lanes = POLICY_LANES;
    else if (POLICY_LANES.includes(name as PolicyLane)) lanes = [name as PolicyLane];
    else throw new Error(`unknown lane "${name ?? ''}"`);
    if (values.spawn && values['database-url']) throw new Error('--spawn checks its own database: drop --database-url');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const outDir = values['out-dir'] ?? evidenceDir();
  mkdirSync(outDir, { recursive: true });
  const log = (line: string) => process.stderr.write(`[policy] ${line}\n`);
  const check = async (databaseUrl: string) => {
    log(`checking ${redactedUrl(databaseUrl)}`);
    let ok = true;
    for (const lane of lanes) {
      const r = await runPolicyLane(lane, { databaseUrl, outDir });
      process.stdout.write(`${r.ok ? 'PASS' : 'FAIL'} policy:${lane}: ${r.summary}\n  evidence: ${r.file}\n`);
      ok &&= r.ok;
    }
    return ok ? 0 : 1;
  };
  if (!values.spawn) return check(values['database-url'] ?? defaultDatabaseUrl());
  log('spawning a private stack and putting the short scenario through it');
  return withTrafficDatabase(log, (url) => check(url));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`policy lane could not run: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
