import { useState } from 'react';
import type { WebhookView, WebhookWithSecret } from '@gatehouse/contracts';
import { api, enc } from '../api/client';
import { useMe } from '../app';
import { Badge } from '../components/badges';
import { ConfirmButton } from '../components/confirm-button';
import { ErrorBox } from '../components/error-box';
import { SecretOnce } from '../components/secret-once';
import { useResource } from '../components/use-resource';
import { when } from '../lib/format';
import { isAdmin } from '../lib/roles';
import { WebhookDeliveries } from './webhook-deliveries';
import { WebhookEventsEditor } from './webhook-events-editor';
import { WebhookForm } from './webhook-form';
import { TableHead } from '../components/table-head';

/**
 * Outbound webhooks (admin only, DESIGN section 13): register an endpoint (its signing secret shown
 * once), list them, change their events, see an endpoint's deliveries, rotate its secret, enable or
 * disable it, delete it.
 */
export function WebhooksPage() {
  const admin = isAdmin(useMe());
  const hooks = useResource(() => api.get<WebhookView[]>('/api/webhooks'), []);
  const [secret, setSecret] = useState<{ what: string; hook: WebhookWithSecret } | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const act = async (run: () => Promise<void>) => {
    setError(null);
    try {
      await run();
      void hooks.reload();
    } catch (err) {
      setError(err);
    }
  };
  const path = (w: WebhookView, rest = '') => `/api/webhooks/${enc(w.id)}${rest}`;
  const rotate = (w: WebhookView) =>
    act(async () =>
      setSecret({ what: 'rotated', hook: await api.post<WebhookWithSecret>(path(w, '/rotate-secret'), {}) }),
    );
  const setEnabled = (w: WebhookView, enabled: boolean) => act(() => api.patch(path(w), { enabled }));
  const remove = (w: WebhookView) =>
    act(async () => {
      await api.delete(path(w));
      if (openId === w.id) setOpenId(null);
    });
  const list = hooks.data ?? [];
  const open = list.find((w) => w.id === openId);

  return (
    <section>
      <h1>Webhooks</h1>
      <p className="sub">
        Gate and run facts, signed as Standard Webhooks, delivered to your endpoints with retries for about a day.
      </p>
      <WebhookForm
        disabled={!admin}
        onCreated={(hook) => {
          setSecret({ what: 'registered', hook });
          void hooks.reload();
        }}
      />
      {secret && (
        <SecretOnce
          secret={secret.hook.secret}
          testId="webhook-secret-shown"
          secretTestId="webhook-secret"
          onDone={() => setSecret(null)}
        >
          Webhook <span className="url">{secret.hook.url}</span> {secret.what}: give this signing secret to the
          receiver.
          {secret.hook.previousSecretExpiresAt &&
            ` The previous secret also signs until ${when(secret.hook.previousSecretExpiresAt)}.`}
        </SecretOnce>
      )}
      <ErrorBox error={error ?? hooks.error} />
      {hooks.data && list.length === 0 && <p className="sub">No webhook is registered.</p>}
      {list.length > 0 && (
        <table data-testid="webhooks">
          <TableHead columns={['URL', 'Events', 'State', 'Created']} actions />
          <tbody>
            {list.map((w) => (
              <tr key={w.id} data-testid={`webhook-${w.id}`}>
                <td className="url">{w.url}</td>
                <td>
                  {editingId === w.id ? (
                    <WebhookEventsEditor
                      endpoint={w}
                      onSaved={() => {
                        setEditingId(null);
                        void hooks.reload();
                      }}
                      onCancel={() => setEditingId(null)}
                    />
                  ) : (
                    <span data-testid="webhook-events">{w.events.join(', ')}</span>
                  )}
                </td>
                <td>
                  <Badge value={w.enabled ? 'ENABLED' : 'DISABLED'} testId="webhook-state" />
                  {!w.enabled && <div className="sub">{w.disabledReason ?? 'disabled by an admin'}</div>}
                </td>
                <td>
                  {when(w.createdAt)} by {w.createdBy}
                </td>
                <td>
                  <div className="actions">
                    <button
                      type="button"
                      aria-pressed={openId === w.id}
                      onClick={() => setOpenId(openId === w.id ? null : w.id)}
                    >
                      Deliveries
                    </button>
                    <button
                      type="button"
                      disabled={!admin}
                      aria-expanded={editingId === w.id}
                      onClick={() => setEditingId(editingId === w.id ? null : w.id)}
                    >
                      Edit events
                    </button>
                    <button type="button" disabled={!admin} onClick={() => void rotate(w)}>
                      Rotate secret
                    </button>
                    <button type="button" disabled={!admin} onClick={() => void setEnabled(w, !w.enabled)}>
                      {w.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question="Delete this endpoint? Nothing more is delivered to it."
                      confirmLabel="Confirm delete"
                      keepLabel="Keep it"
                      disabled={!admin}
                      onConfirm={() => void remove(w)}
                    />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <WebhookDeliveries endpoint={open} onRefresh={() => void hooks.reload()} />}
    </section>
  );
}
