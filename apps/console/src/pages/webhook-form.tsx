import { useState, type FormEvent } from 'react';
import type { WebhookWithSecret } from '@gatehouse/contracts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@gatehouse/contracts/webhook-events';
import { api } from '../api/client';
import { ErrorBox } from '../components/error-box';

/** Registers an endpoint: its URL and the facts it wants (DESIGN section 13). */
export function WebhookForm({ disabled, onCreated }: { disabled: boolean; onCreated: (w: WebhookWithSecret) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['gate.opened']);
  const [inFlight, setInFlight] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const toggle = (type: WebhookEventType, on: boolean) =>
    setEvents((list) => (on ? [...list, type] : list.filter((t) => t !== type)));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setInFlight(true);
    setError(null);
    try {
      // Sent in the contract's order, whatever order they were ticked in.
      const chosen = WEBHOOK_EVENT_TYPES.filter((t) => events.includes(t));
      onCreated(await api.post<WebhookWithSecret>('/api/webhooks', { url: url.trim(), events: chosen }));
      setUrl('');
    } catch (err) {
      setError(err);
    } finally {
      setInFlight(false);
    }
  };

  return (
    <form aria-label="New webhook" onSubmit={submit}>
      <div className="inline">
        <label>
          URL{' '}
          <input
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://hooks.example.com/gatehouse"
            required
            maxLength={2048}
            size={48}
            disabled={disabled}
          />
        </label>
        <fieldset className="events" disabled={disabled}>
          <legend>Events</legend>
          {WEBHOOK_EVENT_TYPES.map((t) => (
            <label key={t}>
              <input type="checkbox" checked={events.includes(t)} onChange={(e) => toggle(t, e.target.checked)} />{' '}
              <code>{t}</code>
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={disabled || inFlight || events.length === 0}>
          Register webhook
        </button>
      </div>
      <ErrorBox error={error} />
    </form>
  );
}
