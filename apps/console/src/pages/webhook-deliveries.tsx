import { useEffect, useRef, useState } from 'react';
import type { RedeliverResult, WebhookDeliveryList, WebhookDeliveryView, WebhookView } from '@gatehouse/contracts';
import { api, enc } from '../api/client';
import { Badge } from '../components/badges';
import { ErrorBox } from '../components/error-box';
import { useResource } from '../components/use-resource';
import { when } from '../lib/format';
import { Link } from '../router';
import { TableHead } from '../components/table-head';

/**
 * Deliveries change without a push (retries, redeliveries, a 410 that disables the endpoint): the open
 * list, and the endpoints with it, are read again this often.
 */
const REFRESH_MS = 2000;

function lastLatency(d: WebhookDeliveryView): string {
  const last = d.attemptLog[d.attemptLog.length - 1];
  return last ? `${last.latencyMs} ms` : '—';
}

/** One endpoint's deliveries, newest first: status (DEAD is the dead-letter list), attempts, redeliver. */
export function WebhookDeliveries({ endpoint, onRefresh }: { endpoint: WebhookView; onRefresh: () => void }) {
  const base = `/api/webhooks/${enc(endpoint.id)}`;
  const list = useResource(() => api.get<WebhookDeliveryList>(`${base}/deliveries?limit=50`), [base]);
  const [error, setError] = useState<unknown>(null);
  const [queued, setQueued] = useState<string | null>(null);
  const refresh = useRef(onRefresh);
  refresh.current = onRefresh;
  useEffect(() => {
    const t = setInterval(() => {
      void list.reload();
      refresh.current();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [base]);

  const redeliver = async (deliveryId?: string) => {
    setError(null);
    try {
      const res = await api.post<RedeliverResult>(`${base}/redeliver`, deliveryId ? { deliveryId } : {});
      setQueued(`${res.redelivered} deliver${res.redelivered === 1 ? 'y' : 'ies'} queued again.`);
      void list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = list.data?.items ?? [];
  const dead = items.filter((d) => d.status === 'DEAD').length;

  return (
    <section aria-labelledby="deliveries-title" data-testid="deliveries">
      <h2 id="deliveries-title">
        Deliveries to <span className="url">{endpoint.url}</span>
      </h2>
      <div className="actions">
        <button
          type="button"
          onClick={() => {
            void list.reload();
            onRefresh();
          }}
        >
          Refresh
        </button>
        <button type="button" disabled={dead === 0} onClick={() => void redeliver()}>
          Redeliver every dead letter
        </button>
        {queued && (
          <span role="status" className="sub">
            {queued}
          </span>
        )}
      </div>
      <ErrorBox error={error ?? list.error} />
      {list.data && items.length === 0 && <p className="sub">Nothing delivered yet.</p>}
      {items.length > 0 && (
        <table data-testid="delivery-list">
          <TableHead
            columns={['Event', 'Run', 'Status', 'Attempts', 'Last code', 'Latency', 'Next attempt', 'Created']}
            actions
          />
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-testid={`delivery-${d.id}`}>
                <td>
                  <code>{d.eventType}</code>
                  <div className="sub" title="webhook-id">
                    {d.webhookId}
                  </div>
                </td>
                <td>
                  <Link to={`/runs/${d.workflowId}`}>{d.workflowId.slice(0, 8)}</Link>
                </td>
                <td>
                  <Badge value={d.status} testId="delivery-status" />
                  {d.lastError && <div className="sub">{d.lastError}</div>}
                </td>
                <td data-testid="delivery-attempts">{d.attempts}</td>
                <td data-testid="delivery-code">{d.lastStatusCode ?? '—'}</td>
                <td>{lastLatency(d)}</td>
                <td>{when(d.nextAttemptAt)}</td>
                <td>{when(d.createdAt)}</td>
                <td>
                  {d.status === 'DEAD' && (
                    <button type="button" onClick={() => void redeliver(d.id)}>
                      Redeliver
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
