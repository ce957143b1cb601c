/**
 * Requests an orchestrator or Prometheus makes every few seconds (health probes, metric scrapes):
 * not logged per request, or they would drown the log. Their outcome shows in the metrics.
 */
export function isProbeRequest(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return path === '/healthz' || path.startsWith('/health/') || path === '/metrics';
}
