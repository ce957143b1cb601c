import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@gatehouse/contracts/webhook-events';

/**
 * The event types an endpoint receives (DESIGN section 13), one checkbox each; `onChange` gets them in
 * the contract's order, whatever order they were ticked in.
 */
export function WebhookEventsField({
  value,
  onChange,
  disabled,
  legend = 'Events',
}: {
  value: readonly WebhookEventType[];
  onChange: (events: WebhookEventType[]) => void;
  disabled?: boolean;
  legend?: string;
}) {
  const toggle = (type: WebhookEventType, on: boolean) =>
    onChange(WEBHOOK_EVENT_TYPES.filter((t) => (t === type ? on : value.includes(t))));
  return (
    <fieldset className="events" disabled={disabled}>
      <legend>{legend}</legend>
      {WEBHOOK_EVENT_TYPES.map((t) => (
        <label key={t}>
          <input type="checkbox" checked={value.includes(t)} onChange={(e) => toggle(t, e.target.checked)} />{' '}
          <code>{t}</code>
        </label>
      ))}
    </fieldset>
  );
}
