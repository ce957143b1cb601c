import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import type { ErrorBody } from '@gatehouse/contracts';
import { bootstrapService } from '@gatehouse/messaging';
import { createTestDatabase, type TestDatabase } from '../../../../tools/test-support/database';
import { startNatsServer, type NatsServerHandle } from '../../../../tools/test-support/nats-server';

/**
 * The runs service booted in-process the way main.ts boots it (bootstrapService: migrations,
 * stream provisioning, request/reply on its queue group, JetStream consumers), against a fresh
 * database and a private nats-server.
 */
export class RunsHarness {
  private constructor(
    readonly db: TestDatabase,
    readonly nats: NatsServerHandle,
    readonly app: INestMicroservice,
    readonly client: ClientProxy,
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
  ) {}

  static async start(name: string, env: Record<string, string> = {}): Promise<RunsHarness> {
    const [db, nats] = await Promise.all([createTestDatabase(name), startNatsServer(name)]);
    try {
      Object.assign(process.env, {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        LOG_LEVEL: 'error',
        DB_POOL_MAX: '5',
        SBX_MOCK_DELAY_MS: '10',
        ...env,
      });
      // Loaded after the environment is set: the config module reads and validates it when it loads.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { AppModule } = require('../app.module') as typeof import('../app.module');
      const { RunsEnv } = require('../config/runs.env') as typeof import('../config/runs.env');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const app = await bootstrapService({ service: 'runs', module: AppModule, env: RunsEnv });
      const client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [nats.url] } });
      await client.connect();
      const nc = await connect({ servers: nats.url });
      return new RunsHarness(db, nats, app, client, nc, jetstream(nc), await jetstreamManager(nc));
    } catch (err) {
      await nats.stop();
      await db.drop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.client.close();
    await this.app.close();
    await this.nc.close();
    await this.nats.stop();
    await this.db.drop();
  }

  call<T>(pattern: string, payload: unknown): Promise<T> {
    return firstValueFrom(this.client.send<T>(pattern, payload).pipe(timeout(10_000)));
  }

  /** The error body a request answers with; fails when the request succeeds. */
  async callError(pattern: string, payload: unknown): Promise<ErrorBody> {
    let answer: unknown;
    try {
      answer = await this.call(pattern, payload);
    } catch (err) {
      return err as ErrorBody;
    }
    throw new Error(`expected an error from ${pattern}, got ${JSON.stringify(answer)}`);
  }
}

/** Polls `probe` until it returns a value (test harness only; the product never polls). */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
