import 'reflect-metadata';
import { join } from 'node:path';
import { DEFAULT_ADMIN_PORT } from '@gatehouse/contracts';
import { AUTH_OFF_WARNING, AuthEnv } from '@gatehouse/identity';
import { exitOnBadEnv, prepareInfrastructure } from '@gatehouse/messaging';
import { redactUrl } from '@gatehouse/persistence';
import { parseLaunchOptions, type LaunchOptions } from './launch-options';
import { chooseLogFormat, logLineFormatter, type LogFormat } from './log-format';
import { EXIT_CONFIG, Supervisor } from './supervisor';

/**
 * `npm start`: the monolith lane (and, with --replicas/--gateways, the split lane on one host).
 * Migrations and stream provisioning run once here; then each service runs as its own process.
 */
async function main(): Promise<void> {
  let options: LaunchOptions;
  try {
    options = parseLaunchOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const env = exitOnBadEnv('start', AuthEnv);
  let logFormat: LogFormat;
  try {
    logFormat = chooseLogFormat(process.env.LOG_FORMAT, process.stdout.isTTY === true);
  } catch (err) {
    process.stderr.write(`[start] ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const port = Number(process.env.PORT ?? 3001);
  if (!Number.isInteger(port) || port < 1 || port + options.gateways - 1 > 65535) {
    process.stderr.write(`[start] PORT=${process.env.PORT}: must be an integer port\n`);
    process.exit(EXIT_CONFIG);
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  if (env.AUTH_MODE === 'off') {
    const bar = '!'.repeat(100);
    log(`[start] ${bar}\n[start] WARNING ${AUTH_OFF_WARNING}\n[start] ${bar}`);
  }
  log(`[start] preparing database and streams (${redactUrl(env.DATABASE_URL)}, ${redactUrl(env.NATS_URL)})`);
  await prepareInfrastructure(env);

  const width = `escalation-${Math.max(options.replicas, options.gateways) - 1}`.length;
  const supervisor = new Supervisor(
    log,
    (name, code) => {
      log(`[start] ${name} stopped on a configuration error (exit ${code}); stopping everything`);
      void supervisor.stop().then(() => process.exit(code));
    },
    width,
    logLineFormatter(logFormat, process.stdout.isTTY === true && !process.env.NO_COLOR),
  );
  const dist = join(__dirname, '..', '..', 'apps');
  const base = { ...process.env, GATEHOUSE_SKIP_PREPARE: 'true' };
  // Each backend process gets its own admin port (/health/live, /health/ready, /metrics), counted up
  // from ADMIN_PORT, else METRICS_PORT (default 9464; 0 turns them off). The gateways serve the
  // same paths on their HTTP port.
  const adminBase = env.ADMIN_PORT || (process.env.METRICS_PORT === undefined ? DEFAULT_ADMIN_PORT : env.METRICS_PORT);
  const metricsPorts: string[] = [];
  for (const service of ['runs', 'gates', 'escalation']) {
    for (let i = 0; i < options.replicas; i++) {
      const name = `${service}-${i}`;
      const port = adminBase ? adminBase + metricsPorts.length : 0;
      if (port) metricsPorts.push(`${name} :${port}`);
      supervisor.start({
        name,
        entry: join(dist, service, 'src', 'main.js'),
        env: { ...base, ADMIN_PORT: String(port), METRICS_PORT: String(port) },
      });
    }
  }
  for (let i = 0; i < options.gateways; i++) {
    supervisor.start({
      name: `gateway-${i}`,
      entry: join(dist, 'gateway', 'src', 'main.js'),
      env: { ...base, PORT: String(port + i) },
    });
  }
  log(`[start] gateway on http://127.0.0.1:${port}${options.gateways > 1 ? ` .. ${port + options.gateways - 1}` : ''}`);
  if (metricsPorts.length) log(`[start] health and metrics: gateway on its port, ${metricsPorts.join(', ')}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`[start] ${signal}: stopping services`);
    void supervisor.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`[start] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
