/**
 * The probe and scrape paths every Gatehouse process serves: the gateway on its HTTP port, runs,
 * gates and escalation on their admin port. Kubernetes probes (deploy/k8s) are checked against these.
 */
export const HEALTH_PATHS = {
  /** The process answers; nothing about its dependencies. */
  live: '/health/live',
  /** It can do its work now: 503 while a dependency is down or once it has begun to stop. */
  ready: '/health/ready',
  metrics: '/metrics',
} as const;

/** The admin port Kubernetes gives runs, gates and escalation (Prometheus's range for exporters). */
export const DEFAULT_ADMIN_PORT = 9464;
