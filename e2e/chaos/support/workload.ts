import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ChaosClient, Response } from './chaos-client';
import { sleep, type Rng } from './prng';
import type { SqlWatcher } from './sql-watcher';

export type Decision = 'approve' | 'reject' | 'timeout';
export type Surface = 'rest' | 'bridge' | 'hitl' | 'jetstream';

export interface RunPlan {
  decision: Decision;
  surface: Surface;
  /** Extra identical copies of the reply, sent at the same moment (to random gateways). */
  duplicates: number;
  /** After acceptance: same dedupeKey, different payload (expects 409 DEDUPE_CONFLICT). */
  drift: boolean;
  /** After acceptance: a new dedupeKey (expects 409 GATE_CLOSED). */
  late: boolean;
  replyDelayMs: number;
  steps: number;
  concurrency: number;
  partition: string;
}

export interface ReplyPayload {
  choice: 'yes' | 'no';
  rationale?: string;
}

export interface RunRecord {
  wid: string;
  plan: RunPlan;
  /** The reply that must end up in the ledger exactly once (none for a timeout run). */
  reply?: { dedupeKey: string; payload: ReplyPayload; origin: string };
  /** 200 answers to the reply and its copies, with their `duplicate` flags. */
  okAnswers: Array<{ duplicate?: boolean; attempts: number }>;
}

export interface PlanMix {
  /** Probabilities of reject and of timeout (no reply); the rest approve. */
  reject?: number;
  timeout?: number;
  surfaces?: Surface[];
  duplicate?: number;
  drift?: number;
  late?: number;
  maxReplyDelayMs?: number;
  steps?: [number, number];
  partitions?: string[];
}

const PLAN_GATE = 'approve-plan';

/** Publishes replies on `human.<wid>.<g>` through JetStream, retrying until the server acks. */
export class HumanPublisher {
  private constructor(private readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<HumanPublisher> {
    return new HumanPublisher(
      await connect({
        servers: url.split(','),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 200,
        name: 'chaos-human-publisher',
      }),
    );
  }

  async publish(wid: string, body: unknown, msgId: string, deadlineMs = 120_000): Promise<void> {
    const js = jetstream(this.nc);
    const until = Date.now() + deadlineMs;
    for (;;) {
      try {
        await js.publish(`human.${wid}.${PLAN_GATE}`, JSON.stringify(body), { msgID: msgId, timeout: 3000 });
        return;
      } catch (err) {
        if (Date.now() > until) throw new Error(`publish ${msgId}: ${String(err)}`);
        await sleep(250);
      }
    }
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

/**
 * Simulated users under faults: each run is created, waits for its plan gate, and gets the reply its
 * plan says (on one of the four surfaces), plus identical copies, a drifted copy and a late reply.
 * Every answer that breaks the contract is written to `anomalies`.
 */
export class ChaosWorkload {
  readonly runs: RunRecord[] = [];
  readonly anomalies: string[] = [];
  readonly counters = { repliesSent: 0, duplicatesSent: 0, driftsSent: 0, lateSent: 0, jetstreamPublished: 0 };

  constructor(
    private readonly client: ChaosClient,
    private readonly watcher: SqlWatcher,
    private readonly rng: Rng,
    private readonly publisher?: HumanPublisher,
  ) {}

  plan(mix: PlanMix = {}): RunPlan {
    const r = this.rng.next();
    const decision: Decision =
      r < (mix.timeout ?? 0) ? 'timeout' : r < (mix.timeout ?? 0) + (mix.reject ?? 0.35) ? 'reject' : 'approve';
    let surface = this.rng.pick(mix.surfaces ?? (['rest', 'rest', 'hitl', 'bridge'] as Surface[]));
    if (surface === 'bridge' && decision === 'reject') surface = 'rest'; // the bridge can only say yes
    const [minSteps, maxSteps] = mix.steps ?? [3, 6];
    return {
      decision,
      surface,
      duplicates: this.rng.chance(mix.duplicate ?? 0.5) ? this.rng.int(1, 2) : 0,
      drift: surface !== 'jetstream' && this.rng.chance(mix.drift ?? 0.3),
      late: surface !== 'jetstream' && this.rng.chance(mix.late ?? 0.2),
      replyDelayMs: this.rng.int(0, mix.maxReplyDelayMs ?? 2000),
      steps: this.rng.int(minSteps, maxSteps),
      concurrency: this.rng.int(1, 3),
      partition: this.rng.pick(mix.partitions ?? ['tenant-a', 'tenant-b', 'tenant-c']),
    };
  }

  private anomaly(wid: string, what: string, res?: Response): void {
    this.anomalies.push(`${wid}: ${what}${res ? ` -> ${res.status} ${JSON.stringify(res.body)}` : ''}`);
  }

  /** Creates the intent and starts the run; returns the record (also kept in `runs`). */
  async start(plan: RunPlan): Promise<RunRecord> {
    const intent = await this.client.post('/api/intents', {
      goal: 'chaos',
      inputs: { repo: 'demo' },
      constraints: { maxCost: 10 },
    });
    if (intent.status !== 201) throw new Error(`intent: ${intent.status} ${JSON.stringify(intent.body)}`);
    const wid: string = intent.body.intentId;
    const run = await this.client.post('/api/runs', {
      intentId: wid,
      queueName: 'intentQ',
      queuePartitionKey: plan.partition,
      recipeName: 'agent-plan',
      workload: { concurrency: plan.concurrency, steps: plan.steps, sandboxMinutes: 1 },
    });
    if (run.status !== 202 || run.body.workflowID !== wid)
      throw new Error(`run ${wid}: ${run.status} ${JSON.stringify(run.body)}`);
    const record: RunRecord = { wid, plan, okAnswers: [] };
    this.runs.push(record);
    return record;
  }

  /** The whole life of one run as its users see it. */
  async drive(plan: RunPlan): Promise<RunRecord> {
    const record = await this.start(plan);
    await this.answer(record);
    return record;
  }

  async answer(record: RunRecord): Promise<void> {
    const { wid, plan } = record;
    await this.watcher.waitGate(wid, 90_000);
    if (plan.decision === 'timeout') return;
    await sleep(plan.replyDelayMs);
    const payload: ReplyPayload =
      plan.decision === 'approve'
        ? { choice: 'yes', rationale: `ok ${wid.slice(0, 8)}` }
        : { choice: 'no', rationale: 'too risky' };
    switch (plan.surface) {
      case 'jetstream':
        return this.answerOnJetStream(record, payload);
      case 'bridge':
        return this.answerOverHttp(record, `approve-plan:${wid}`, payload, 'bridge', (p) => ({
          path: `/api/runs/${wid}/approve-plan`,
          body: { approvedBy: 'chaos-operator', ...(p.rationale === undefined ? {} : { notes: p.rationale }) },
        }));
      case 'hitl':
        return this.answerOverHttp(record, `pager-${wid}`, payload, 'chaos-pager', (p, key) => ({
          path: '/api/events/hitl',
          body: {
            workflowId: wid,
            gateKey: PLAN_GATE,
            topic: `human:${PLAN_GATE}`,
            payload: p,
            dedupeKey: key,
            origin: 'chaos-pager',
          },
        }));
      case 'rest':
        return this.answerOverHttp(record, `human-${wid}`, payload, 'rest', (p, key) => ({
          path: `/api/runs/${wid}/gates/${PLAN_GATE}/reply`,
          body: { payload: p, dedupeKey: key },
        }));
    }
  }

  private async answerOverHttp(
    record: RunRecord,
    dedupeKey: string,
    payload: ReplyPayload,
    origin: string,
    shape: (payload: ReplyPayload, dedupeKey: string) => { path: string; body: unknown },
  ): Promise<void> {
    const { wid, plan } = record;
    record.reply = { dedupeKey, payload, origin };
    const req = shape(payload, dedupeKey);
    const copies = 1 + plan.duplicates;
    this.counters.repliesSent++;
    this.counters.duplicatesSent += plan.duplicates;
    // Copy i goes to gateway i mod N: with two gateways, the same reply hits both at once.
    const first = this.rng.int(0, this.client.gateways.length - 1);
    const answers = await Promise.all(
      Array.from({ length: copies }, (_, i) =>
        this.client.post(req.path, req.body, copies > 1 ? { gateway: (first + i) % this.client.gateways.length } : {}),
      ),
    );
    for (const res of answers) {
      if (res.status === 200 && res.body?.ok === true)
        record.okAnswers.push({ duplicate: res.body.duplicate, attempts: res.attempts });
      else this.anomaly(wid, `reply ${dedupeKey} expected 200`, res);
    }
    if (record.okAnswers.filter((a) => a.duplicate === false).length > 1) {
      this.anomaly(wid, `reply ${dedupeKey} answered duplicate:false more than once`);
    }
    if (plan.drift) {
      this.counters.driftsSent++;
      const drifted = shape({ ...payload, rationale: `${payload.rationale ?? ''} (edited)` }, dedupeKey);
      const res = await this.client.post(drifted.path, drifted.body);
      if (res.status !== 409 || res.body?.error !== 'DEDUPE_CONFLICT')
        this.anomaly(wid, `drift of ${dedupeKey} expected 409 DEDUPE_CONFLICT`, res);
    }
    if (plan.late) {
      this.counters.lateSent++;
      const res = await this.client.post(`/api/runs/${wid}/gates/${PLAN_GATE}/reply`, {
        payload: { choice: 'yes' },
        dedupeKey: `late-${wid}`,
      });
      if (res.status !== 409 || res.body?.error !== 'GATE_CLOSED')
        this.anomaly(wid, `late reply expected 409 GATE_CLOSED`, res);
    }
  }

  private async answerOnJetStream(record: RunRecord, payload: ReplyPayload): Promise<void> {
    if (!this.publisher) throw new Error('the jetstream surface needs a HumanPublisher');
    const dedupeKey = `bus-${record.wid}`;
    record.reply = { dedupeKey, payload, origin: 'jetstream' };
    const body = { payload, dedupeKey };
    this.counters.repliesSent++;
    // The copies carry other Nats-Msg-Ids, as a sender re-publishing after the duplicate window
    // would: the stream keeps them all, and the reply rules must make them no-ops.
    const ids = [dedupeKey, ...Array.from({ length: record.plan.duplicates }, (_, i) => `${dedupeKey}:copy-${i}`)];
    this.counters.duplicatesSent += record.plan.duplicates;
    await Promise.all(ids.map((id) => this.publisher!.publish(record.wid, body, id)));
    this.counters.jetstreamPublished += ids.length;
  }

  /** After a timeout: a reply must be refused with 409 GATE_CLOSED and change nothing. */
  async replyAfterTimeout(record: RunRecord): Promise<void> {
    const res = await this.client.post(`/api/runs/${record.wid}/gates/${PLAN_GATE}/reply`, {
      payload: { choice: 'yes' },
      dedupeKey: `after-timeout-${record.wid}`,
    });
    if (res.status !== 409 || res.body?.error !== 'GATE_CLOSED')
      this.anomaly(record.wid, 'reply after timeout expected 409 GATE_CLOSED', res);
  }
}
