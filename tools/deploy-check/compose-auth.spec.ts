import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateEnv } from '@gatehouse/contracts';
import { EscalationEnv } from '../../apps/escalation/src/config/escalation.env';
import { ROOT } from '../test-support/paths';

type ComposeService = { environment?: Record<string, string> };

/** The compose lane is shared (DESIGN section 10): authentication on, and no development key anywhere. */
describe('deploy/docker-compose.yml: identity settings', () => {
  const compose = parse(readFileSync(join(ROOT, 'deploy', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const env = (service: string) => compose.services[service].environment ?? {};
  /** `${NAME:?message}`: compose refuses to start while NAME is unset. */
  const required = (value: string | undefined, name: string) =>
    expect(value).toMatch(new RegExp(`^\\$\\{${name}:\\?[^}]*\\}$`));

  it.each(['gateway', 'runs', 'gates', 'escalation'])('runs %s with AUTH_MODE=required', (service) => {
    expect(env(service).AUTH_MODE).toBe('required');
  });

  it('gives escalation a required WEBHOOK_SECRET_KEY, which its settings then accept', () => {
    required(env('escalation').WEBHOOK_SECRET_KEY, 'GATEHOUSE_WEBHOOK_SECRET_KEY');
    const withValue = { ...env('escalation'), WEBHOOK_SECRET_KEY: 'k'.repeat(44) };
    expect(() => validateEnv(EscalationEnv, withValue)).not.toThrow();
    expect(() => validateEnv(EscalationEnv, { ...withValue, WEBHOOK_SECRET_KEY: '' })).toThrow(/WEBHOOK_SECRET_KEY/);
  });

  it('gives gates a required bootstrap admin key, so a fresh installation can be entered', () => {
    required(env('gates').AUTH_BOOTSTRAP_ADMIN_KEY, 'GATEHOUSE_BOOTSTRAP_ADMIN_KEY');
  });
});
