import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { WebhookView } from '@gatehouse/contracts';
import type { WebhookEventType } from '@gatehouse/contracts/webhook-events';
import { api, enc } from '../api/client';
import { ErrorBox } from '../components/error-box';
import { WebhookEventsField } from './webhook-events-field';

/** Changes which events an existing endpoint receives (PATCH /api/webhooks/:id with `events`). */
export function WebhookEventsEditor({
  endpoint,
  onSaved,
  onCancel,
}: {
  endpoint: WebhookView;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [events, setEvents] = useState<WebhookEventType[]>(endpoint.events);
  const [inFlight, setInFlight] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => form.current?.querySelector('input')?.focus(), []);

  const unchanged = events.length === endpoint.events.length && events.every((t) => endpoint.events.includes(t));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setInFlight(true);
    setError(null);
    try {
      await api.patch<WebhookView>(`/api/webhooks/${enc(endpoint.id)}`, { events });
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setInFlight(false);
    }
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') onCancel();
  };

  return (
    <form ref={form} aria-label="Edit events" onSubmit={submit} onKeyDown={onKeyDown}>
      <WebhookEventsField value={events} onChange={setEvents} disabled={inFlight} />
      <div className="actions">
        <button type="submit" disabled={inFlight || unchanged || events.length === 0}>
          Save events
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorBox error={error} />
    </form>
  );
}
