import { useState } from 'react';
import type { GateSummary, RunView } from '@gatehouse/contracts';
import { api, enc } from '../api/client';
import { gateFactAbout, useLiveStream } from '../api/live';
import { useMe } from '../app';
import { Badge } from '../components/badges';
import { ConfirmButton } from '../components/confirm-button';
import { ErrorBox } from '../components/error-box';
import { useNow } from '../components/use-now';
import { useResource } from '../components/use-resource';
import { useThrottled } from '../components/use-throttled';
import { countdown, when } from '../lib/format';
import { canControlRuns } from '../lib/roles';
import { Link } from '../router';
import { TableHead } from '../components/table-head';

const TERMINAL = ['SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED'];
/** The fixed pipeline (DESIGN section 2), the plan gate between CompileST and ApplyPatchST. */
const PIPELINE = ['CompileST', 'approve-plan', 'ApplyPatchST', 'DecideST', 'ExecuteST'];

function stepState(step: string, run: RunView, gates: GateSummary[]): string {
  if (step === 'approve-plan') {
    const chain = gates.filter((g) => g.rootGateKey === 'approve-plan');
    return chain.length ? String(chain[chain.length - 1].state) : 'NOT STARTED';
  }
  const done = run.lastStep ? PIPELINE.indexOf(run.lastStep) : -1;
  const at = PIPELINE.indexOf(step);
  if (at <= done) return 'DONE';
  if (TERMINAL.includes(String(run.status))) return run.error?.stepId === step ? 'FAILED' : 'NOT RUN';
  return 'NOT STARTED';
}

/** A run: status, steps, child tasks, its gates, and pause / resume / cancel with a reason. */
export function RunPage({ wid }: { wid: string }) {
  const me = useMe();
  const now = useNow();
  const run = useResource(() => api.get<RunView>(`/api/runs/${enc(wid)}`), [wid]);
  const gates = useResource(() => api.get<GateSummary[]>(`/api/runs/${enc(wid)}/gates`), [wid]);
  const [reason, setReason] = useState('');
  const [inFlight, setInFlight] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const reload = () => {
    void run.reload();
    void gates.reload();
  };
  const liveReload = useThrottled(reload);
  useLiveStream(`/api/runs/${enc(wid)}/stream/status`, {
    onLine: liveReload,
    onConnect: reload,
    reconnectAfterEnd: () => false,
  });
  // The run's gates change after its status stream has ended too (cancelled when the run is).
  useLiveStream('/api/stream/gates', {
    onLine: (line) => {
      if (gateFactAbout(line, wid)) liveReload();
    },
    onConnect: () => undefined,
    reconnectAfterEnd: () => true,
  });

  const r = run.data;
  if (!r) {
    return (
      <section>
        <h1>Run {wid}</h1>
        <ErrorBox error={run.error} />
        {!run.error && <p className="loading">Loading…</p>}
      </section>
    );
  }
  const terminal = TERMINAL.includes(String(r.status));
  const mayControl = canControlRuns(me) || (me !== null && r.requestedBy === me.id);
  const control = async (action: 'pause' | 'resume' | 'cancel') => {
    setInFlight(true);
    setError(null);
    try {
      await api.post(`/api/runs/${enc(wid)}/${action}`, { reason: reason.trim() || `${action} from the console` });
      reload();
    } catch (err) {
      setError(err);
    } finally {
      setInFlight(false);
    }
  };
  const list = gates.data ?? [];

  return (
    <section className="run">
      <p className="crumbs">
        <Link to="/">Inbox</Link> › Run {wid.slice(0, 8)}
      </p>
      <h1>
        Run <code>{wid}</code> <Badge value={String(r.status)} testId="run-status" />
        {r.paused && <Badge value="PAUSED" testId="run-paused" />}
      </h1>
      {r.paused && (
        <p role="status" data-testid="paused-by">
          Paused by <strong>{r.pausedBy ?? 'unknown'}</strong>
          {r.pausedReason ? `: ${r.pausedReason}` : ''}
        </p>
      )}
      {r.error && (
        <div className="error" data-testid="run-error">
          <strong>{r.error.code}</strong> {r.error.message}
          {r.error.rationale ? ` (“${r.error.rationale}”)` : ''}
        </div>
      )}
      <dl className="facts">
        <dt>Recipe</dt>
        <dd>{r.recipeName}</dd>
        <dt>Partition</dt>
        <dd>{r.queuePartitionKey}</dd>
        <dt>Requested by</dt>
        <dd>{r.requestedBy ?? '—'}</dd>
        <dt>Next action</dt>
        <dd>{String(r.nextAction)}</dd>
        <dt>Started</dt>
        <dd>{when(r.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{when(r.updatedAt)}</dd>
        <dt>Retries</dt>
        <dd>{r.retryCount}</dd>
      </dl>

      <h2>Steps</h2>
      <ol className="steps" data-testid="steps">
        {PIPELINE.map((s) => (
          <li key={s}>
            {s} <Badge value={stepState(s, r, list)} testId={`step-${s}`} />
          </li>
        ))}
      </ol>

      <h2>Child tasks</h2>
      <p data-testid="tasks">
        {r.tasks.done} done, {r.tasks.dispatched} dispatched, of {r.tasks.total} ({r.workload.concurrency} at a time)
      </p>
      <progress max={Math.max(1, r.tasks.total)} value={r.tasks.done} aria-label="Child tasks done" />

      <h2>Gates</h2>
      <ErrorBox error={gates.error} />
      {list.length === 0 ? (
        <p className="sub">No gate has opened yet.</p>
      ) : (
        <table data-testid="run-gates">
          <TableHead columns={['Gate', 'State', 'Risk', 'Approvals', 'Deadline']} />
          <tbody>
            {list.map((g) => (
              <tr key={g.gateKey}>
                <td>
                  <Link to={`/runs/${wid}/gates/${g.gateKey}`}>{g.gateKey}</Link>
                </td>
                <td>
                  <Badge value={String(g.state)} testId={`gate-state-${g.gateKey}`} />
                </td>
                <td>{g.riskLevel}</td>
                <td>
                  {g.approvalCount} of {g.requiredApprovals}
                </td>
                <td>{String(g.state) === 'PENDING' ? countdown(g.deadlineAt, now) : when(g.closedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Control</h2>
      <form className="control" aria-label="Run control" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="reason">Reason</label>
        <input
          id="reason"
          data-testid="control-reason"
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
          disabled={!mayControl || terminal}
        />
        <div className="actions">
          <button
            type="button"
            disabled={!mayControl || terminal || inFlight || r.paused}
            onClick={() => void control('pause')}
          >
            Pause
          </button>
          <button
            type="button"
            disabled={!mayControl || terminal || inFlight || !r.paused}
            onClick={() => void control('resume')}
          >
            Resume
          </button>
          <ConfirmButton
            label="Cancel run"
            question="Cancel this run? It cannot be undone: it ends CANCELLED and its pending gates are cancelled."
            confirmLabel="Confirm cancel"
            keepLabel="Keep running"
            disabled={!mayControl || terminal || inFlight}
            onConfirm={() => void control('cancel')}
          />
        </div>
        {!mayControl && <p className="sub">Pausing, resuming and cancelling need the operator or admin role.</p>}
        <ErrorBox error={error} />
      </form>
    </section>
  );
}
