import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNatsConf } from '../test-support/nats-conf';
import { declaredNatsUsers, NATS_AUTH_CONF } from '../test-support/nats-secured';
import { DEPLOY_DIR, kustomizeBuild } from './kustomize-build';
import { helmNatsUsers, natsUserDisagreements, natsUserSecretProblems } from './nats-users';

/** Compose (deploy/nats/auth.conf) and Kubernetes (the Helm values) must name and permit the same NATS users. */
describe('NATS users: deploy/nats/auth.conf and Kubernetes agree', () => {
  const matrix = declaredNatsUsers();

  it('the shipped Helm values have exactly the users, password variables and permissions of auth.conf', () => {
    expect(matrix.map((u) => u.user)).toEqual([
      'gateway',
      'runs',
      'gates',
      'escalation',
      'provisioner',
      'hitl-publisher',
      'listener',
    ]);
    expect(natsUserDisagreements()).toEqual([]);
  });

  it('every workload reads NATS_USER from the Secret of a user auth.conf declares', () => {
    for (const overlay of ['production', 'staging']) {
      const objects = kustomizeBuild(join(DEPLOY_DIR, 'k8s', 'overlays', overlay));
      const secrets = objects.flatMap((o) =>
        (o.spec?.template?.spec?.containers ?? []).flatMap((c: any) =>
          (c.env ?? []).filter((e: any) => e.name === 'NATS_USER').map((e: any) => e.valueFrom.secretKeyRef.name),
        ),
      );
      expect(secrets.sort()).toEqual(
        ['gateway', 'runs', 'gates', 'escalation', 'provisioner'].map((u) => `gatehouse-nats-${u}`).sort(),
      );
      expect(natsUserSecretProblems(objects)).toEqual([]);
    }
  });

  describe('the check itself', () => {
    const k8s = helmNatsUsers();
    const renamed = (from: string, to: string) => k8s.map((u) => (u.user === from ? { ...u, user: to } : u));

    it('reports a user named differently on each side', () => {
      expect(natsUserDisagreements(matrix, renamed('provisioner', 'migrate'))).toEqual([
        'user "provisioner" is in deploy/nats/auth.conf but not in the Helm values',
        'user "migrate" is in the Helm values but not in deploy/nats/auth.conf',
      ]);
    });

    it('reports a permission granted on one side only, and another password variable', () => {
      const wider = k8s.map((u) =>
        u.user === 'runs'
          ? { ...u, passwordVar: 'GATEHOUSE_RUNS_PASSWORD', permissions: { ...(u.permissions as object), x: 1 } }
          : u,
      );
      const problems = natsUserDisagreements(matrix, wider as typeof k8s);
      expect(problems).toHaveLength(2);
      expect(problems[0]).toBe(
        'user "runs": password from $GATEHOUSE_RUNS_PASSWORD, auth.conf says $GATEHOUSE_NATS_RUNS_PASSWORD',
      );
      expect(problems[1]).toMatch(/^user "runs": permissions .* differ from auth.conf's/);
    });

    it('reports a changed subject in auth.conf too, and ignores the order of subjects', () => {
      const conf = readFileSync(NATS_AUTH_CONF, 'utf8');
      const narrowed = declaredNatsUsers(conf.replace('"_INBOX.hitl-publisher.>"', '"_INBOX.publisher.>"'));
      expect(natsUserDisagreements(narrowed, k8s)).toEqual([
        expect.stringMatching(/^user "hitl-publisher": permissions .*_INBOX\.hitl-publisher.* differ/),
      ]);
      const reordered = k8s.map((u) =>
        u.user === 'gates'
          ? {
              ...u,
              permissions: {
                ...(u.permissions as any),
                publish: { allow: [...(u.permissions as any).publish.allow].reverse() },
              },
            }
          : u,
      );
      expect(natsUserDisagreements(matrix, reordered)).toEqual([]);
    });

    it('reports a workload whose NATS_USER Secret names no declared user', () => {
      const objects = kustomizeBuild(join(DEPLOY_DIR, 'k8s', 'overlays', 'production'));
      const job = JSON.parse(JSON.stringify(objects.find((o) => o.kind === 'Job')));
      const env = job.spec.template.spec.containers[0].env.find((e: any) => e.name === 'NATS_USER');
      env.valueFrom.secretKeyRef.name = 'gatehouse-nats-migrate';
      expect(natsUserSecretProblems([job])).toEqual([
        'Job/gatehouse-migrate: NATS_USER from Secret gatehouse-nats-migrate names no user of auth.conf',
      ]);
    });
  });

  describe('parseNatsConf', () => {
    it('reads blocks, lists, quoted and bare values, and comments', () => {
      expect(
        parseNatsConf('a { b: "x # y", c = [1, "z"]\n d: true } // end\n# note\ne: $V\nf [\n "p"\n "q"\n]'),
      ).toEqual({ a: { b: 'x # y', c: ['1', 'z'], d: true }, e: '$V', f: ['p', 'q'] });
    });

    it('refuses what it cannot read, with the line', () => {
      expect(() => parseNatsConf('a {\n b: 1\n')).toThrow('missing "}" at line 3');
      expect(() => parseNatsConf('a: 1\na: 2')).toThrow('duplicate key "a" at line 2');
    });
  });
});
