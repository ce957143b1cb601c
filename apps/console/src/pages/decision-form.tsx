import { useMemo, useState } from 'react';
import type { GateReplyResult } from '@gatehouse/contracts';
import { api, enc } from '../api/client';
import { ErrorBox } from '../components/error-box';
import { JsonView } from '../components/json-view';
import { PlanDiff } from '../components/plan-diff';
import { newDedupeKey } from '../lib/format';
import { parsePatch, preview } from '../lib/plan-versions';
import type { GateView, PolicyExtras } from './gate-types';

/**
 * Approve or reject with a rationale and an optional JSON Patch of the plan, previewed before it is
 * sent. The dedupe key is fixed when the form opens, so a double click or a retry after a lost answer
 * replays the first reply (the API answers `duplicate: true`) instead of sending a second one; the
 * buttons are disabled while a reply is in flight.
 */
export function DecisionForm({
  wid,
  gate,
  plan,
  allowed,
  onReplied,
}: {
  wid: string;
  gate: GateView;
  /** The plan version the reply decides on (the latest). */
  plan: unknown;
  /** Whether the signed-in principal may decide this gate (the buttons are disabled otherwise). */
  allowed: boolean;
  onReplied: () => void;
}) {
  const [dedupeKey] = useState(() => newDedupeKey('console'));
  const [rationale, setRationale] = useState('');
  const [patchText, setPatchText] = useState('');
  const [inFlight, setInFlight] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<{ choice: string; result: GateReplyResult } | null>(null);

  const policy = gate.prompt.policy as typeof gate.prompt.policy & PolicyExtras;
  const parsed = useMemo(() => parsePatch(patchText), [patchText]);
  const patched = useMemo(() => (parsed.ok && parsed.patch ? preview(plan, parsed.patch) : undefined), [parsed, plan]);
  const patchProblem = !parsed.ok ? parsed.message : patched && !patched.ok ? patched.message : null;
  const rationaleMissing = policy.requireRationale && !rationale.trim();
  const closed = String(gate.state) !== 'PENDING';

  const send = async (choice: string) => {
    setInFlight(true);
    setError(null);
    try {
      const payload: Record<string, unknown> = { choice };
      if (rationale.trim()) payload.rationale = rationale.trim();
      if (parsed.ok && parsed.patch) payload.patch = parsed.patch;
      // The plan version the author saw; refused as PLAN_CHANGED if another vote changed it meanwhile.
      if (policy.requirePlanHash && gate.planHash) payload.planHash = gate.planHash;
      const result = await api.post<GateReplyResult>(`/api/runs/${enc(wid)}/gates/${enc(gate.gateKey)}/reply`, {
        payload,
        dedupeKey,
      });
      setOutcome({ choice, result });
      onReplied();
    } catch (err) {
      setError(err);
    } finally {
      setInFlight(false);
    }
  };

  const disabledWhy = !allowed
    ? 'Your roles may not decide this gate.'
    : closed
      ? `This gate is ${gate.state}.`
      : rationaleMissing
        ? 'This gate needs a rationale.'
        : patchProblem
          ? 'Fix the patch first.'
          : null;

  return (
    <form className="decide" aria-label="Decide" onSubmit={(e) => e.preventDefault()} data-testid="decision-form">
      <label htmlFor="rationale">Rationale{policy.requireRationale ? ' (required)' : ''}</label>
      <textarea
        id="rationale"
        data-testid="rationale"
        rows={3}
        maxLength={4000}
        value={rationale}
        onChange={(e) => setRationale(e.target.value)}
        disabled={!allowed || closed}
      />
      <label htmlFor="patch">JSON Patch of the plan (optional, RFC 6902)</label>
      <textarea
        id="patch"
        data-testid="patch"
        rows={3}
        spellCheck={false}
        placeholder='[{"op": "replace", "path": "/steps/0/environment", "value": "staging"}]'
        value={patchText}
        onChange={(e) => setPatchText(e.target.value)}
        disabled={!allowed || closed}
        aria-invalid={patchProblem ? true : undefined}
        aria-describedby="patch-status"
      />
      <div id="patch-status" aria-live="polite">
        {patchProblem && (
          <p className="error" data-testid="patch-problem">
            {patchProblem}
          </p>
        )}
        {patched?.ok && (
          <details open data-testid="patch-preview">
            <summary>Preview of the patched plan</summary>
            <PlanDiff changes={patched.changes} testId="patch-diff" />
            <JsonView value={patched.plan} testId="patched-plan" label="Patched plan" />
          </details>
        )}
      </div>
      <div className="actions">
        {gate.prompt.choices.map((c) => (
          <button
            key={c.value}
            type="button"
            className={String(c.decision) === 'reject' ? 'danger' : 'primary'}
            data-testid={`choice-${c.value}`}
            disabled={inFlight || disabledWhy !== null}
            title={disabledWhy ?? c.label}
            onClick={() => void send(c.value)}
          >
            {inFlight ? 'Sending…' : c.label}
          </button>
        ))}
      </div>
      {disabledWhy && !closed && (
        <p className="sub" data-testid="disabled-why">
          {disabledWhy}
        </p>
      )}
      <ErrorBox error={error} />
      {outcome && (
        <p role="status" data-testid="reply-outcome">
          Reply <strong>{outcome.choice}</strong> recorded: gate {outcome.result.state}
          {outcome.result.duplicate ? ' (a replay of your first reply; nothing was sent twice)' : ''}.
        </p>
      )}
      <p className="sub">
        Dedupe key <code data-testid="dedupe-key">{dedupeKey}</code>
      </p>
    </form>
  );
}
