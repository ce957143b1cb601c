import { isProbeRequest } from './probe-paths';

describe('isProbeRequest', () => {
  it.each(['/healthz', '/healthz?x=1', '/health/live', '/health/ready', '/metrics', '/metrics?name[]=x'])(
    '%s is a probe',
    (url) => expect(isProbeRequest(url)).toBe(true),
  );

  it.each(['/api/runs', '/metricsx', '/api/metrics', '/healthzz', '/', undefined])('%s is not', (url) =>
    expect(isProbeRequest(url)).toBe(false),
  );
});
