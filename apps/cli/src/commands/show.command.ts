import type { GateSummary, RunView } from '@gatehouse/contracts';
import type { CliIo } from '../cli-io';
import { seg } from '../api/gatehouse-api';
import { countdown } from '../output/durations';
import { gateLines } from '../output/gate-view';
import { runLines } from '../output/run-view';
import { renderTable } from '../output/table';
import { tone } from '../output/style';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';
import { fetchGate } from './gate-target';

/** `gatehouse show <wid> [gate]`: one gate in full, or the run with its gates. */
export function showCommand(io: CliIo) {
  return apiCommand('show', 'show a gate (prompt, plan, plan hash, risk, votes, deadline, result, decision) or a run')
    .argument('<wid>', 'the run (workflow) id')
    .argument('[gate]', 'the gate key, e.g. approve-plan; without it: the run and its gates')
    .action(async (wid: string, gateKey: string | undefined, opts: ApiOptions) => {
      const ctx = apiContext(io, opts);
      if (gateKey) {
        const gate = await fetchGate(ctx.api, wid, gateKey);
        ctx.emit(gate, () => gateLines(wid, gate, ctx.style, io.now()));
        return;
      }
      const [run, gates] = await Promise.all([
        ctx.api.get<RunView>(`/api/runs/${seg(wid)}`),
        ctx.api.get<GateSummary[]>(`/api/runs/${seg(wid)}/gates`),
      ]);
      ctx.emit({ run, gates }, () => [
        ...runLines(run, ctx.style),
        '',
        ...(gates.length
          ? renderTable(
              ['gate', 'state', 'risk', 'approvals', 'deadline'],
              gates.map((g) => [
                g.gateKey,
                tone(ctx.style, g.state),
                g.riskLevel,
                `${g.approvalCount}/${g.requiredApprovals}`,
                g.state === 'PENDING' ? countdown(g.deadlineAt, io.now()) : g.closedAt ? `closed ${g.closedAt}` : '-',
              ]),
            )
          : ['no gates yet']),
      ]);
    });
}
