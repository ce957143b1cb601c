/** Timestamps leave the service as ISO-8601 strings, whatever the driver returned. */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
