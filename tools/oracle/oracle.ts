import { runOracle } from './run-oracle';

/** `npm run oracle`: prints the oracle's JSON report; exits 1 when any check finds rows. */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/gatehouse';
  const report = await runOracle(url);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exit(report.ok ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`oracle failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
