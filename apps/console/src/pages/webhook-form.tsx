import { useState, type FormEvent } from 'react';
import type { WebhookWithSecret } from '@gatehouse/contracts';
import type { WebhookEventType } from '@gatehouse/contracts/webhook-events';
import { api } from '../api/client';
import { ErrorBox } from '../components/error-box';
import { WebhookEventsField } from './webhook-events-field';

/** Registers an endpoint: its URL and the facts it wants (DESIGN section 13). */
export function WebhookForm({ disabled, onCreated }: { disabled: boolean; onCreated: (w: WebhookWithSecret) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['gate.opened']);
  const [inFlight, setInFlight] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setInFlight(true);
    setError(null);
    try {
      onCreated(await api.post<WebhookWithSecret>('/api/webhooks', { url: url.trim(), events }));
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
        <WebhookEventsField value={events} onChange={setEvents} disabled={disabled} />
        <button type="submit" disabled={disabled || inFlight || events.length === 0}>
          Register webhook
        </button>
      </div>
      <ErrorBox error={error} />
    </form>
  );
}
