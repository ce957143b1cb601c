import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { CONSUMERS, STREAMS } from '@gatehouse/messaging';
import type { NatsCredentials } from './nats-secured';

export interface ConsumerState {
  durable: string;
  stream: string;
  /** Messages not yet delivered. */
  numPending: number;
  /** Delivered, not yet acknowledged. */
  numAckPending: number;
  numRedelivered: number;
}

export interface StreamState {
  name: string;
  messages: number;
  replicas: number;
  leader?: string;
  /** Followers as the leader sees them: `current` false means still catching up. */
  peers: Array<{ name: string; current: boolean; offline: boolean; lag: number }>;
}

async function withJsm<T>(
  url: string,
  work: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>,
  creds?: NatsCredentials,
): Promise<T> {
  const nc = await connect({ servers: url.split(','), timeout: 3000, ...creds });
  try {
    return await work(await jetstreamManager(nc, { timeout: 5000 }));
  } finally {
    await nc.close();
  }
}

/** Every declared durable consumer's delivery state, as the server reports it. */
export function consumerStates(url: string, creds?: NatsCredentials): Promise<ConsumerState[]> {
  return withJsm(
    url,
    async (jsm) => {
      const out: ConsumerState[] = [];
      for (const def of Object.values(CONSUMERS)) {
        const info = await jsm.consumers.info(def.stream, def.durable);
        out.push({
          durable: def.durable,
          stream: def.stream,
          numPending: info.num_pending,
          numAckPending: info.num_ack_pending,
          numRedelivered: info.num_redelivered,
        });
      }
      return out;
    },
    creds,
  );
}

/** Every declared stream with its replica set (cluster) as the server reports it. */
export function streamStates(url: string, creds?: NatsCredentials): Promise<StreamState[]> {
  return withJsm(
    url,
    async (jsm) => {
      const out: StreamState[] = [];
      for (const def of Object.values(STREAMS)) {
        const info = await jsm.streams.info(def.name);
        out.push({
          name: def.name,
          messages: info.state.messages,
          replicas: info.config.num_replicas,
          leader: info.cluster?.leader,
          peers: (info.cluster?.replicas ?? []).map((r) => ({
            name: r.name,
            current: r.current,
            offline: r.offline ?? false,
            lag: r.lag ?? 0,
          })),
        });
      }
      return out;
    },
    creds,
  );
}
