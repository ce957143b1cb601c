import { stringify } from 'yaml';
import type { GateDetailView } from '@gatehouse/contracts';
import { countdown } from './durations';
import { fieldLines } from './fields';
import { tone, type Style } from './style';

/** A vote as the gate view lists it once quorum lands (DESIGN section 11); shown loosely. */
interface Vote {
  actor?: string | null;
  choice?: string;
  rationale?: string | null;
  at?: string;
  planHash?: string;
}

function voteLine(v: Vote): string {
  return [v.actor ?? 'anonymous', v.choice, v.at, v.rationale ? `"${v.rationale}"` : ''].filter(Boolean).join('  ');
}

export function gateLines(wid: string, gate: GateDetailView, style: Style, now: Date): string[] {
  const prompt = gate.prompt;
  const votes = (gate as GateDetailView & { approvals?: unknown }).approvals;
  const result = gate.result;
  const lines = fieldLines([
    ['gate', `${style.bold(gate.gateKey)} of run ${wid}`],
    ['title', prompt?.title],
    ['state', tone(style, gate.state)],
    ['risk', tone(style, gate.riskLevel)],
    ['approvals', `${gate.approvalCount ?? 0}/${gate.requiredApprovals ?? 1}`],
    ['plan hash', gate.planHash ?? prompt?.planHash],
    ['deadline', `${gate.deadlineAt} (${countdown(gate.deadlineAt, now)})`],
    ['choices', prompt?.choices?.map((c) => `${c.value} (${c.label})`).join(', ')],
    [
      'result',
      result &&
        `${result.choice} by ${result.actor ?? 'anonymous'}${result.onBehalfOf ? ` for ${result.onBehalfOf}` : ''} at ${result.at}` +
          `${result.rationale ? ` "${result.rationale}"` : ''} (dedupe key ${result.dedupeKey}, via ${result.origin})`,
    ],
    [
      'decision',
      gate.decision && `${tone(style, gate.decision.decision)} by ${gate.decision.by} at ${gate.decision.at}`,
    ],
    [
      'escalation',
      gate.escalation ? `${gate.escalation.id} ${gate.escalation.action} ${gate.escalation.status}` : undefined,
    ],
  ]);
  if (Array.isArray(votes) && votes.length) {
    lines.push('votes:', ...votes.map((v: Vote) => `  ${voteLine(v)}`));
  }
  if (prompt?.plan !== undefined) {
    lines.push(
      'plan:',
      ...stringify(prompt.plan)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  return lines;
}
