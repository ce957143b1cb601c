import type { JsMsg } from '@nats-io/jetstream';

/** A JetStream delivery as handlers see it. */
export class InboundMessage {
  readonly subject: string;
  readonly msgId: string;
  readonly deliveryCount: number;
  readonly streamSeq: number;
  readonly headers: Record<string, string>;
  readonly raw: string;
  private parsed?: { ok: true; value: unknown } | { ok: false; error: Error };

  constructor(msg: JsMsg, stream: string) {
    this.subject = msg.subject;
    this.deliveryCount = msg.info.deliveryCount;
    this.streamSeq = msg.seq;
    this.headers = {};
    for (const [k, v] of msg.headers ?? []) this.headers[k] = v.join(',');
    this.msgId = msg.headers?.get('Nats-Msg-Id') || `${stream}:${msg.seq}`;
    this.raw = new TextDecoder().decode(msg.data);
  }

  /** The body parsed as JSON; throws PoisonMessageError when it is not JSON. */
  json<T = unknown>(): T {
    if (!this.parsed) {
      try {
        this.parsed = { ok: true, value: JSON.parse(this.raw) };
      } catch (err) {
        this.parsed = { ok: false, error: err as Error };
      }
    }
    if (!this.parsed.ok) throw new PoisonMessageError(`message is not JSON: ${this.parsed.error.message}`);
    return this.parsed.value as T;
  }
}

/**
 * A message that can never succeed (bad JSON, impossible payload): dead-lettered at once
 * instead of being retried until the delivery limit.
 */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}
