import 'reflect-metadata';
import { exitOnBadEnv, exitOnNatsAccessError } from '@gatehouse/messaging';
import { GatewayEnv } from './config/gateway.env';
import { createGatewayApp } from './create-gateway-app';

async function main(): Promise<void> {
  process.env.GATEHOUSE_SERVICE = 'gateway';
  const env = exitOnBadEnv('gateway', GatewayEnv);
  const app = await createGatewayApp(env);
  await app.listen(env.PORT, '0.0.0.0');
}

void main().catch((err) => {
  exitOnNatsAccessError('gateway', err);
  process.stderr.write(
    `[gateway] failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
