/** Redelivery delay after the n-th failed delivery: 250 ms doubling, capped, with jitter. */
export function redeliveryDelayMs(deliveryCount: number, capMs = 30_000): number {
  const base = Math.min(capMs, 250 * 2 ** Math.max(0, deliveryCount - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
