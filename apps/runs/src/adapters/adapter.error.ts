/** A live executor call failed; the step message is retried with backoff until MAX_DELIVERIES. */
export class AdapterError extends Error {
  constructor(
    readonly adapter: string,
    message: string,
  ) {
    super(`${adapter}: ${message}`);
    this.name = 'AdapterError';
  }
}
