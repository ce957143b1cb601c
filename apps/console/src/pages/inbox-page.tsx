import { useRef, useState } from 'react';
import type { InboxItem, InboxPage } from '@gatehouse/contracts';
import { api } from '../api/client';
import { useLiveStream } from '../api/live';
import { Badge } from '../components/badges';
import { ErrorBox } from '../components/error-box';
import { useNow } from '../components/use-now';
import { useResource } from '../components/use-resource';
import { useThrottled } from '../components/use-throttled';
import { countdown } from '../lib/format';
import { filtersFromSearch, inboxApiQuery, searchOfFilters, type InboxFilters } from '../lib/inbox-filters';
import { Link, navigate, useSearch } from '../router';
import { InboxFiltersForm } from './inbox-filters-form';
import { TableHead } from '../components/table-head';

const PAGE_SIZE = 50;
/** The API's largest page (`limit` 1..200). */
const MAX_PAGE = 200;
const gates = (n: number) => `${n} ${n === 1 ? 'gate' : 'gates'}`;

/** Gates across runs (GET /api/gates), filtered by what the address says, live. */
export function InboxPage() {
  const search = useSearch();
  const filters = filtersFromSearch(search);
  const [more, setMore] = useState<InboxItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const now = useNow();

  const path = `/api/gates?${inboxApiQuery(filters, PAGE_SIZE)}`;
  const pathNow = useRef(path);
  pathNow.current = path;
  // How many rows this list shows: a live re-read reads them all again in one request (up to the
  // API's largest page), so gates loaded with "Load more" stay on screen when another gate opens.
  const shown = useRef({ path, rows: PAGE_SIZE });
  const first = useResource(async () => {
    const rows = shown.current.path === path ? shown.current.rows : PAGE_SIZE;
    const limit = Math.min(MAX_PAGE, Math.max(PAGE_SIZE, rows));
    const page = await api.get<InboxPage>(`/api/gates?${inboxApiQuery(filters, limit)}`);
    setMore([]);
    setCursor(page.nextCursor);
    setMoreError(null);
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
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.get<InboxPage>(`/api/gates?${inboxApiQuery(filters, PAGE_SIZE, cursor)}`);
      if (pathNow.current !== path) return; // the filters changed meanwhile: this page belongs to no list
      setMore((m) => [...m, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setMoreError(err);
    } finally {
      setLoadingMore(false);
    }
  };
  // A new address (and a history entry) only when the filters change.
  const applyFilters = (next: InboxFilters) => {
    const nextSearch = searchOfFilters(next);
    if (nextSearch !== searchOfFilters(filters)) navigate(`/${nextSearch}`);
  };

  const items = first.data ? [...first.data.items, ...more] : [];
  shown.current = { path, rows: items.length };
  return (
    <section>
      <h1>Inbox</h1>
      <InboxFiltersForm filters={filters} onApply={applyFilters} />
      <ErrorBox error={first.error} />
      {!first.data && !first.error && <p className="loading">Loading gates…</p>}
      {first.data && items.length === 0 && (
        <p data-testid="inbox-empty">
          {searchOfFilters(filters) ? 'No gate matches these filters.' : 'Nothing waits for a decision.'}
        </p>
      )}
      {items.length > 0 && (
        <table data-testid="inbox">
          <TableHead columns={['Gate', 'Run', 'Risk', 'Approvals', 'Deadline']} />
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
      {items.length > 0 && (
        <p className="sub" data-testid="inbox-count" aria-live="polite">
          {cursor ? `${gates(items.length)} shown; more match.` : `${gates(items.length)} shown, all that match.`}
        </p>
      )}
      <ErrorBox error={moreError} />
      {cursor && (
        <button type="button" disabled={loadingMore} onClick={() => void loadMore()}>
          {loadingMore ? 'Loading…' : `Load ${PAGE_SIZE} more`}
        </button>
      )}
    </section>
  );
}
