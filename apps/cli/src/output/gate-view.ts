import { stringify } from 'yaml';
import type { GateDetailView } from '@gatehouse/contracts';
import { countdown } from './durations';
import { fieldLines } from './fields';
import { tone, type Style } from './style';

/** A vote as the gate view lists it (DESIGN section 11): the approvals that count. */
interface Vote {
  actor: string;
  choice: string;
  origin?: string;
  planHash?: string;
  at: string;
}

/** The prompt's policy facts (DESIGN section 11): the level, why, and what a reply needs. */
interface PromptRisk {
  reasons?: string[];
  roles?: string[] | null;
  requireRationale?: boolean;
  requirePlanHash?: boolean;
}

function voteLine(v: Vote): string {
  return [
    v.actor,
    v.choice,
    v.at,
    v.origin ? `via ${v.origin}` : '',
    v.planHash ? `plan ${v.planHash.slice(0, 12)}` : '',
  ]
    .filter(Boolean)
    .join('  ');
}

function needs(risk: PromptRisk | undefined): string | undefined {
  if (!risk) return undefined;
  const parts = [
    risk.roles?.length ? `role ${risk.roles.join(' or ')}` : '',
    risk.requireRationale ? 'a rationale' : '',
    risk.requirePlanHash ? 'the plan hash' : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

export function gateLines(wid: string, gate: GateDetailView, style: Style, now: Date): string[] {
  const prompt = gate.prompt;
  const votes = (gate as GateDetailView & { approvals?: unknown }).approvals;
  const risk = (prompt as typeof prompt & { risk?: PromptRisk }).risk;
  const result = gate.result;
  const lines = fieldLines([
    ['gate', `${style.bold(gate.gateKey)} of run ${wid}`],
    ['title', prompt?.title],
    ['state', tone(style, gate.state)],
    ['risk', `${tone(style, gate.riskLevel)}${risk?.reasons?.length ? ` (${risk.reasons.join('; ')})` : ''}`],
    ['a reply needs', needs(risk)],
    ['approvals', `${gate.approvalCount ?? 0}/${gate.requiredApprovals ?? 1}`],
    ['plan hash', gate.planHash ?? prompt?.planHash],
    // A countdown only while it matters: a decided gate's deadline is history.
    [
      'deadline',
      gate.state === 'PENDING' ? `${gate.deadlineAt} (${countdown(gate.deadlineAt, now)})` : gate.deadlineAt,
    ],
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
