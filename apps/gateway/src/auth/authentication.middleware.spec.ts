import { needsPrincipal } from './authentication.middleware';

describe('needsPrincipal', () => {
  it('covers every /api path and leaves the open ones open', () => {
    expect(needsPrincipal('/api/runs/x')).toBe(true);
    expect(needsPrincipal('/api')).toBe(true);
    expect(needsPrincipal('/api/keys?x=1')).toBe(true);
    expect(needsPrincipal('/healthz')).toBe(false);
    expect(needsPrincipal('/metrics')).toBe(false);
    expect(needsPrincipal('/docs-json')).toBe(false);
    expect(needsPrincipal('/console/inbox')).toBe(false);
    expect(needsPrincipal('/apis')).toBe(false);
  });

  it('judges the path the router sees: percent-encoded letters are decoded (the router decodes them too)', () => {
    expect(needsPrincipal('/%61pi/runs/x')).toBe(true);
    expect(needsPrincipal('/%61%70%69/intents')).toBe(true);
    expect(needsPrincipal('/ap%69')).toBe(true);
    expect(needsPrincipal('/api%2Fkeys')).toBe(true);
  });

  it('fails closed on a path that does not decode', () => {
    expect(needsPrincipal('/%E0%A4%A/runs')).toBe(true);
    expect(needsPrincipal('/%zz')).toBe(true);
  });
});
