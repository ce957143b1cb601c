import { useState } from 'react';
import { api, enc } from '../api/client';
import { gateFactAbout, useLiveStream } from '../api/live';
import { useMe } from '../app';
import { Badge } from '../components/badges';
import { ErrorBox } from '../components/error-box';
import { JsonView } from '../components/json-view';
import { PlanDiff } from '../components/plan-diff';
import { useNow } from '../components/use-now';
import { useResource } from '../components/use-resource';
import { useThrottled } from '../components/use-throttled';
import { countdown, when } from '../lib/format';
import { planVersions } from '../lib/plan-versions';
import { canDecide } from '../lib/roles';
import { Link } from '../router';
import { DecisionForm } from './decision-form';
import type { GateHistory, GateView, PolicyExtras } from './gate-types';
import { TableHead } from '../components/table-head';

/**
 * One gate: what is asked (prompt, plan and its versions), its risk and policy, the votes, the
 * deadline, the escalation chain, the audit trail and ledger rows, and the form to decide it.
 * Live: the run's status stream triggers a re-read of the gate and its history.
 */
export function GatePage({ wid, gateKey }: { wid: string; gateKey: string }) {
  const me = useMe();
  const now = useNow();
  const base = `/api/runs/${enc(wid)}/gates/${enc(gateKey)}`;
  const gate = useResource(() => api.get<GateView>(base), [base]);
  const history = useResource(() => api.get<GateHistory>(`${base}/history`), [base]);
  const [shown, setShown] = useState<number | null>(null);
  const reload = () => {
    void gate.reload();
    void history.reload();
  };
  const liveReload = useThrottled(reload);
  useLiveStream(`/api/runs/${enc(wid)}/stream/status`, {
    onLine: liveReload,
    onConnect: reload,
    reconnectAfterEnd: () => false,
  });
  useLiveStream('/api/stream/gates', {
    onLine: (line) => {
      if (gateFactAbout(line, wid)) liveReload();
    },
    onConnect: () => undefined,
    reconnectAfterEnd: () => true,
  });

  const g = gate.data;
  if (!g) {
    return (
      <section>
        <h1>Gate {gateKey}</h1>
        <ErrorBox error={gate.error} />
        {!gate.error && <p className="loading">Loading…</p>}
      </section>
    );
  }
  const policy = g.prompt.policy as typeof g.prompt.policy & PolicyExtras;
  const ledger = history.data?.ledger ?? [];
  const versions = planVersions(g.prompt.plan, ledger);
  const latest = versions[versions.length - 1];
  const version = versions.find((v) => v.n === shown) ?? latest;
  const reasons = g.riskReasons ?? policy.riskReasons;
  const decidedBy = g.result?.actor ?? g.decision?.by;

  return (
    <section className="gate">
      <p className="crumbs">
        <Link to="/">Inbox</Link> › <Link to={`/runs/${wid}`}>Run {wid.slice(0, 8)}</Link> › {gateKey}
      </p>
      <h1>
        {g.prompt.title} <Badge value={String(g.state)} testId="gate-state" />{' '}
        <Badge value={g.riskLevel} testId="risk" />
      </h1>

      {g.decision && (
        <div className="decided" role="status" data-testid="decided">
          Decided <strong>{String(g.decision.decision)}</strong> by <strong>{decidedBy}</strong>
          {g.result?.onBehalfOf ? ` (for ${g.result.onBehalfOf})` : ''} at {when(g.decision.at)}
          {g.result?.rationale && (
            <>
              : “<span data-testid="decided-rationale">{g.result.rationale}</span>”
            </>
          )}
        </div>
      )}

      <div className="grid">
        <div>
          <h2>Deadline</h2>
          <p data-testid="deadline" title={g.deadlineAt}>
            {when(g.deadlineAt)} ({countdown(g.deadlineAt, now)})
          </p>
          <h2>Risk and policy</h2>
          <dl className="facts">
            <dt>Risk level</dt>
            <dd>{g.riskLevel}</dd>
            <dt>Why</dt>
            <dd data-testid="risk-why">
              {reasons && reasons.length > 0
                ? reasons.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('; ')
                : 'the recipe’s setting (no risk rule matched)'}
            </dd>
            <dt>Approvals</dt>
            <dd data-testid="approvals">
              {g.approvalCount} of {g.requiredApprovals}
              {g.approvals && g.approvals.length > 0 && (
                <span className="sub"> (counting {g.approvals.map((a) => a.actor ?? 'anonymous').join(', ')})</span>
              )}
            </dd>
            <dt>May decide</dt>
            <dd>{policy.roles?.length ? policy.roles.join(', ') : 'any signed-in principal'}</dd>
            <dt>Rationale</dt>
            <dd>{policy.requireRationale ? 'required' : 'optional'}</dd>
            <dt>On timeout</dt>
            <dd>{String(policy.timeoutAction)}</dd>
            <dt>Plan hash</dt>
            <dd>
              <code>{g.planHash ?? g.prompt.planHash}</code>
            </dd>
          </dl>
          <h2>Escalation chain</h2>
          {g.prompt.escalation && (
            <p>
              Level {g.prompt.escalation.level} of the chain from <code>{g.prompt.escalation.rootGateKey}</code>, for{' '}
              <strong>{g.prompt.escalation.group}</strong>.
            </p>
          )}
          {policy.escalationChain.length > 0 ? (
            <ol data-testid="escalation-chain">
              {policy.escalationChain.map((s, i) => (
                <li key={i}>
                  {s.group}, {s.timeoutS} s
                </li>
              ))}
            </ol>
          ) : (
            <p className="sub">No further escalation: at the deadline the gate is {String(policy.timeoutAction)}ed.</p>
          )}
          {g.escalation && (
            <p>
              Escalation <code>{g.escalation.id}</code>: {String(g.escalation.status)} ({String(g.escalation.action)})
            </p>
          )}
        </div>
        <div>
          <h2>Decide</h2>
          <DecisionForm
            key={`${wid}/${gateKey}`}
            wid={wid}
            gate={g}
            plan={latest.plan}
            allowed={canDecide(me, policy.roles)}
            onReplied={reload}
          />
        </div>
      </div>

      <h2>Plan</h2>
      <div className="versions" role="group" aria-label="Plan versions">
        {versions.map((v) => (
          <button
            key={v.n}
            type="button"
            aria-pressed={v.n === version.n}
            data-testid={`plan-version-${v.n}`}
            onClick={() => setShown(v.n)}
          >
            v{v.n}
            {v.by ? ` by ${v.by}` : ' (compiled)'}
          </button>
        ))}
      </div>
      {version.n > 1 && (
        <>
          <h3>Changes from v{version.n - 1}</h3>
          <PlanDiff changes={version.changes} testId="version-diff" />
        </>
      )}
      <JsonView value={version.plan} testId="plan" label={`Plan version ${version.n}`} />

      <h2>Votes and ledger rows</h2>
      <ErrorBox error={history.error} />
      <table data-testid="ledger">
        <TableHead columns={['Time', 'Actor', 'Choice', 'Rationale', 'Origin', 'Dedupe key', 'Payload hash']} />
        <tbody>
          {ledger.map((r) => {
            const p = r.payload as { choice?: string; rationale?: string; patch?: unknown[] };
            return (
              <tr key={`${r.topic}/${r.dedupeKey}`}>
                <td>{when(r.createdAt)}</td>
                <td>
                  {r.actor ?? '—'}
                  {r.onBehalfOf ? ` for ${r.onBehalfOf}` : ''}
                </td>
                <td>
                  {p.choice}
                  {p.patch ? ` + patch (${p.patch.length} op)` : ''}
                </td>
                <td>{p.rationale ?? ''}</td>
                <td>{r.origin}</td>
                <td>
                  <code>{r.dedupeKey}</code>
                </td>
                <td>
                  <code title={r.payloadHash}>{r.payloadHash.slice(0, 12)}…</code>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h2>Audit trail</h2>
      <table data-testid="audit">
        <TableHead columns={['Time', 'Outcome', 'Actor', 'Dedupe key', 'Detail']} />
        <tbody>
          {(history.data?.audit ?? []).map((a, i) => (
            <tr key={i}>
              <td>{when(a.at)}</td>
              <td>{String(a.outcome)}</td>
              <td>{a.actor ?? '—'}</td>
              <td>{a.dedupeKey ? <code>{a.dedupeKey}</code> : '—'}</td>
              <td>{a.detail ? <code>{JSON.stringify(a.detail)}</code> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
