import { Command } from 'commander';
import { CommonEnv, validateEnv } from '@gatehouse/contracts';
import type { CliIo } from '../cli-io';
import { loadMessaging, loadPersistence } from './lazy-modules';

/**
 * `gatehouse migrate`: creates the database if missing, runs pending migrations and provisions the
 * JetStream streams and consumers; what every service does at start, run once by a deploy (the
 * compose migrate container, the Kubernetes migrate Job). Idempotent, and safe from many processes.
 */
export function migrateCommand(io: CliIo): Command {
  return new Command('migrate')
    .description('create the database if missing, run migrations, provision the JetStream streams')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      '\nSettings from the environment: DATABASE_URL, NATS_URL, STREAM_REPLICAS (3 on a NATS cluster).',
    )
    .action(async (opts: { json?: boolean }) => {
      const env = validateEnv(CommonEnv, io.env);
      // Loaded here: the NATS and TypeORM stack costs seconds of start-up that other commands need not pay.
      const { prepareInfrastructure } = loadMessaging();
      const { redactUrl } = loadPersistence();
      io.log(
        `migrating ${redactUrl(env.DATABASE_URL)}; streams on ${redactUrl(env.NATS_URL)} (replicas ${env.STREAM_REPLICAS})`,
      );
      const { migrations } = await prepareInfrastructure(env);
      if (opts.json) {
        io.out(JSON.stringify({ ok: true, migrations, streamReplicas: env.STREAM_REPLICAS }));
      } else {
        io.out(
          migrations.length
            ? `applied ${migrations.length} migration(s): ${migrations.join(', ')}`
            : 'database up to date: no pending migrations',
        );
        io.out('streams and consumers provisioned');
      }
    });
}
