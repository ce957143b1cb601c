import type { GateDetailView, GateHistory, GateSummary } from '@gatehouse/contracts';
import { CliError, usageError } from '../cli-error';
import { ExitCode } from '../exit-codes';
import { seg, type GatehouseApi } from '../api/gatehouse-api';

/**
 * The gate a command acts on: the one named, else the run's only PENDING gate. With none pending
 * there is nothing to decide (conflict); with several the person must say which.
 */
export async function resolveGateKey(api: GatehouseApi, wid: string, gateKey?: string): Promise<string> {
  if (gateKey) return gateKey;
  const gates = await api.get<GateSummary[]>(`/api/runs/${seg(wid)}/gates`);
  const pending = gates.filter((g) => g.state === 'PENDING');
  if (pending.length === 1) return pending[0].gateKey;
  if (pending.length === 0) {
    const known = gates.map((g) => `${g.gateKey} (${g.state})`).join(', ');
    throw new CliError(`run ${wid} has no pending gate${known ? `; its gates: ${known}` : ''}`, ExitCode.CONFLICT);
  }
  throw usageError(
    `run ${wid} has ${pending.length} pending gates; name one: ${pending.map((g) => g.gateKey).join(', ')}`,
  );
}

export function fetchGate(api: GatehouseApi, wid: string, gateKey: string): Promise<GateDetailView> {
  return api.get<GateDetailView>(`/api/runs/${seg(wid)}/gates/${seg(gateKey)}`);
}

/** The plan version a gate decides on: the gate's (a patched version) or its prompt's. */
export function currentPlanHash(gate: GateDetailView): string | undefined {
  return gate.planHash ?? gate.prompt?.planHash ?? undefined;
}

/** A reply the ledger already holds under a dedupe key: the gate it went to and what it said. */
export interface RecordedReply {
  gateKey: string;
  payload: Record<string, unknown>;
}

/**
 * Where a retried dedupe key was recorded: on the named gate, else on any gate of the run. A retry
 * must go to that gate (by then it may be closed, or a successor may be pending) with the plan hash
 * it sent, not the one the gate shows after a patch was applied.
 */
export async function findRecordedReply(
  api: GatehouseApi,
  wid: string,
  dedupeKey: string,
  gateKey?: string,
): Promise<RecordedReply | undefined> {
  const keys = gateKey
    ? [gateKey]
    : (await api.get<GateSummary[]>(`/api/runs/${seg(wid)}/gates`)).map((g) => g.gateKey);
  for (const key of keys) {
    const history = await api.get<GateHistory>(`/api/runs/${seg(wid)}/gates/${seg(key)}/history`);
    const row = history.ledger.find((r) => r.dedupeKey === dedupeKey);
    if (row) return { gateKey: key, payload: (row.payload ?? {}) as Record<string, unknown> };
  }
  return undefined;
}
