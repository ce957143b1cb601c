import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { declaredNatsUsers } from '../test-support/nats-secured';
import { ROOT } from '../test-support/paths';

type ComposeService = { environment?: Record<string, string>; volumes?: string[] };

/** The compose lane and the permission matrix must agree, or a service cannot connect (or connects as another). */
describe('deploy/docker-compose.yml and deploy/nats/auth.conf', () => {
  const compose = parse(readFileSync(join(ROOT, 'deploy', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const users = declaredNatsUsers();
  const passwordVar = (user: string) => users.find((u) => u.user === user)?.passwordVar;

  it('gives the NATS server every password the matrix refers to, each required (no default)', () => {
    const env = compose.services.nats.environment ?? {};
    expect(Object.keys(env).sort()).toEqual(users.map((u) => u.passwordVar).sort());
    // Required (`:?`), and double-quoted so that nats-server reads the value as a string.
    for (const [name, value] of Object.entries(env)) expect(value).toMatch(new RegExp(`^"\\$\\{${name}:\\?[^}]*\\}"$`));
    expect(compose.services.nats.volumes).toContain('./nats/auth.conf:/etc/nats/auth.conf:ro');
  });

  it.each([
    ['gateway', 'gateway'],
    ['runs', 'runs'],
    ['gates', 'gates'],
    ['escalation', 'escalation'],
    ['migrate', 'provisioner'],
  ])('connects %s as the NATS user %s with that user’s password', (service, user) => {
    const env = compose.services[service].environment ?? {};
    expect(env.NATS_USER).toBe(user);
    expect(passwordVar(user)).toBeDefined();
    expect(env.NATS_PASSWORD).toBe(`\${${passwordVar(user)}:?}`);
  });

  it('lets only the migrate job manage streams: services skip provisioning at start', () => {
    for (const service of ['gateway', 'runs', 'gates', 'escalation']) {
      expect(compose.services[service].environment?.GATEHOUSE_SKIP_PREPARE).toBe('true');
    }
  });
});
