import type { GateDetailView, GateSummary } from '@gatehouse/contracts';
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
