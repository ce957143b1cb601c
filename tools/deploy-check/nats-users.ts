import { join } from 'node:path';
import { declaredNatsUsers, type DeclaredNatsUser } from '../test-support/nats-secured';
import { containersOf, DEPLOY_DIR, readYamlDocuments, type K8sObject } from './kustomize-build';

/** The Helm values' NATS users, in the shape of the matrix's (deploy/nats/auth.conf). */
export function helmNatsUsers(
  values = readYamlDocuments(join(DEPLOY_DIR, 'helm', 'nats-values.yaml'))[0] as any,
): DeclaredNatsUser[] {
  const users: Array<{ user: string; password: string; permissions: unknown }> =
    values?.config?.merge?.authorization?.users ?? [];
  return users.map((u) => ({
    user: u.user,
    // The chart's `<< $VAR >>` renders as the bare `$VAR` of auth.conf.
    passwordVar: /^<< \$([A-Z0-9_]+) >>$/.exec(String(u.password))?.[1] ?? `(not a << $VARIABLE >>: ${u.password})`,
    permissions: u.permissions as DeclaredNatsUser['permissions'],
  }));
}

/** Subject lists are sets: order them, and the keys of every block, so only meaning is compared. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => (String(a) < String(b) ? -1 : 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Where the Kubernetes users (the Helm values) differ from the permission matrix: a user missing on
 * either side, another password variable, or other permissions. Empty when they agree.
 */
export function natsUserDisagreements(
  matrix: DeclaredNatsUser[] = declaredNatsUsers(),
  k8s: DeclaredNatsUser[] = helmNatsUsers(),
): string[] {
  const problems: string[] = [];
  const byName = (list: DeclaredNatsUser[]) => new Map(list.map((u) => [u.user, u]));
  const inMatrix = byName(matrix);
  const inK8s = byName(k8s);
  for (const name of inMatrix.keys()) {
    if (!inK8s.has(name)) problems.push(`user "${name}" is in deploy/nats/auth.conf but not in the Helm values`);
  }
  for (const [name, user] of inK8s) {
    const declared = inMatrix.get(name);
    if (!declared) {
      problems.push(`user "${name}" is in the Helm values but not in deploy/nats/auth.conf`);
      continue;
    }
    if (user.passwordVar !== declared.passwordVar) {
      problems.push(`user "${name}": password from $${user.passwordVar}, auth.conf says $${declared.passwordVar}`);
    }
    const mine = JSON.stringify(canonical(user.permissions));
    const theirs = JSON.stringify(canonical(declared.permissions));
    if (mine !== theirs) problems.push(`user "${name}": permissions ${mine} differ from auth.conf's ${theirs}`);
  }
  return problems;
}

/**
 * The Secrets the workloads read NATS_USER from (`gatehouse-nats-<user>`): each must be named after a
 * user of the matrix, or the pod connects as nobody the server knows.
 */
export function natsUserSecretProblems(objects: K8sObject[], matrix = declaredNatsUsers()): string[] {
  const names = new Set(matrix.map((u) => u.user));
  const problems: string[] = [];
  for (const o of objects) {
    for (const c of containersOf(o)) {
      for (const e of c.env ?? []) {
        if (e.name !== 'NATS_USER') continue;
        const secret: string | undefined = e.valueFrom?.secretKeyRef?.name;
        const user = secret?.replace(/^gatehouse-nats-/, '');
        if (!secret || !user || user === secret || !names.has(user)) {
          problems.push(
            `${o.kind}/${o.metadata.name}: NATS_USER from Secret ${secret ?? '(none)'} names no user of auth.conf`,
          );
        }
      }
    }
  }
  return problems;
}
