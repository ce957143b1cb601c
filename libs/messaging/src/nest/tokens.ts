export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const JETSTREAM = Symbol('JETSTREAM');
export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  /** The Postgres schema holding this service's outbox, inbox and dead letters. */
  schema: string;
  /** Used in the NATS connection name and logs. */
  service: string;
}
