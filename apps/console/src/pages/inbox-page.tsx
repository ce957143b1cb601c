import { useState } from 'react';
import type { InboxItem, InboxPage } from '@gatehouse/contracts';
import { api } from '../api/client';
import { useLiveStream } from '../api/live';
import { Badge } from '../components/badges';
import { ErrorBox } from '../components/error-box';
import { useNow } from '../components/use-now';
import { useResource } from '../components/use-resource';
import { useThrottled } from '../components/use-throttled';
import { countdown } from '../lib/format';
import { Link } from '../router';

const STATES = ['PENDING', 'RECEIVED', 'TIMED_OUT', 'CANCELLED'];
const RISKS = ['', 'low', 'medium', 'high', 'critical'];

export function InboxPage() {
  const [state, setState] = useState('PENDING');
  const [riskLevel, setRiskLevel] = useState('');
  const [mine, setMine] = useState(false);
  const [more, setMore] = useState<InboxItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const now = useNow();

  const query = new URLSearchParams({ state, limit: '50' });
  if (riskLevel) query.set('riskLevel', riskLevel);
  if (mine) query.set('mine', 'true');
  const path = `/api/gates?${query}`;

  const first = useResource(async () => {
    const page = await api.get<InboxPage>(path);
    setMore([]);
    setCursor(page.nextCursor);
    return page;
  }, [path]);
  // A burst of gate events costs one re-read a second; filters and "Load more" stay immediate.
  const liveReload = useThrottled(() => void first.reload());
  useLiveStream('/api/stream/gates', {
    onLine: liveReload,
    onConnect: () => void first.reload(),
    reconnectAfterEnd: () => true,
  });

  const loadMore = async () => {
    if (!cursor) return;
    const page = await api.get<InboxPage>(`${path}&cursor=${encodeURIComponent(cursor)}`);
    setMore((m) => [...m, ...page.items]);
    setCursor(page.nextCursor);
  };

  const items = [...(first.data?.items ?? []), ...more];
  return (
    <section>
      <h1>Inbox</h1>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          State{' '}
          <select value={state} onChange={(e) => setState(e.target.value)}>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Risk{' '}
          <select value={riskLevel} onChange={(e) => setRiskLevel(e.target.value)}>
            {RISKS.map((r) => (
              <option key={r} value={r}>
                {r || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} /> Only gates I may decide
        </label>
      </form>
      <ErrorBox error={first.error} />
      {first.data && items.length === 0 && <p data-testid="inbox-empty">Nothing waits for a decision.</p>}
      {items.length > 0 && (
        <table data-testid="inbox">
          <thead>
            <tr>
              <th scope="col">Gate</th>
              <th scope="col">Run</th>
              <th scope="col">Risk</th>
              <th scope="col">Approvals</th>
              <th scope="col">Deadline</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={`${i.workflowId}/${i.gateKey}`} data-testid={`inbox-item-${i.workflowId}`}>
                <td>
                  <Link to={`/runs/${i.workflowId}/gates/${i.gateKey}`}>{i.title ?? i.gateKey}</Link>
                  <div className="sub">{i.gateKey}</div>
                </td>
                <td>
                  <Link to={`/runs/${i.workflowId}`}>{i.workflowId.slice(0, 8)}</Link>
                  <div className="sub">
                    {[i.run.goal, i.run.recipe, i.run.partition, i.run.status].filter(Boolean).join(' · ')}
                  </div>
                </td>
                <td>
                  <Badge value={i.riskLevel} />
                </td>
                <td>
                  {i.approvals.count} of {i.approvals.required}
                </td>
                <td title={i.deadlineAt}>{countdown(i.deadlineAt, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </section>
  );
}
