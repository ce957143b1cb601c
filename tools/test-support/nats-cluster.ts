import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from './free-port';
import { natsProcess, waitForNats, type NatsEndpoint, type NatsServerHandle } from './nats-server';
import { scratchDir } from './paths';

export interface NatsClusterHandle extends NatsEndpoint {
  /** Every node's URL, comma-separated: the NATS_URL the services get. */
  url: string;
  urls: string[];
  nodes: NatsServerHandle[];
  /** Kills one node by its pid (SIGKILL by default). */
  stopNode(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again with its own store; waits until it accepts clients. */
  restartNode(index: number): Promise<void>;
  /** Waits until JetStream has a meta leader (the cluster can create and serve streams). */
  waitJetStreamReady(timeoutMs?: number): Promise<void>;
}

/**
 * A private nats-server cluster on free loopback ports, JetStream with file storage on every node,
 * for one test file. Each node is its own process, stopped by its pid.
 */
export async function startNatsCluster(name: string, size = 3): Promise<NatsClusterHandle> {
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const dir = scratchDir('nats', `${name}-cluster-${clientPorts[0]}`);
  rmSync(dir, { recursive: true, force: true });
  scratchDir('nats', `${name}-cluster-${clientPorts[0]}`);
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  const nodes = clientPorts.map((port, i) => {
    const storeDir = join(dir, `store-${i}`);
    const conf = join(dir, `node-${i}.conf`);
    writeFileSync(
      conf,
      [
        `server_name: ${name.replace(/[^a-z0-9]/gi, '')}-n${i}`,
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
        `cluster {`,
        `  name: gatehouse-test`,
        `  listen: 127.0.0.1:${routePorts[i]}`,
        `  routes: [${routes.filter((_, j) => j !== i).join(', ')}]`,
        `}`,
        '',
      ].join('\n'),
    );
    return natsProcess({ port, storeDir, logFile: join(dir, `node-${i}.log`), args: ['-c', conf] });
  });
  const urls = nodes.map((n) => n.url);
  const cluster: NatsClusterHandle = {
    url: urls.join(','),
    get pid() {
      return nodes[0].pid;
    },
    urls,
    nodes,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await Promise.all(nodes.map((n) => n.stop(signal)));
    },
    async restart() {
      await Promise.all(nodes.filter((n) => !n.running).map((n) => n.restart()));
      await cluster.waitJetStreamReady();
    },
    async stopNode(index: number, signal: NodeJS.Signals = 'SIGKILL') {
      await nodes[index].stop(signal);
    },
    async restartNode(index: number) {
      await nodes[index].restart();
    },
    async waitJetStreamReady(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      const live = nodes.filter((n) => n.running).map((n) => n.url);
      const nc = await connect({ servers: live, timeout: 2000 });
      try {
        for (;;) {
          try {
            const jsm = await jetstreamManager(nc, { timeout: 2000 });
            await jsm.getAccountInfo();
            return;
          } catch (err) {
            if (Date.now() > until) throw new Error(`JetStream cluster not ready: ${String(err)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      } finally {
        await nc.close();
      }
    },
  };
  try {
    await Promise.all(urls.map((u) => waitForNats(u, 15_000)));
    await cluster.waitJetStreamReady();
  } catch (err) {
    await cluster.stop('SIGKILL');
    throw err;
  }
  return cluster;
}
