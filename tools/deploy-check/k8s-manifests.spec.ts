import { generateApiKey } from '@gatehouse/identity';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { adminPort, CommonEnv, HEALTH_PATHS, validateEnv } from '@gatehouse/contracts';
import { CONSUMERS } from '@gatehouse/messaging';
import { MAX_NAMED_PER_CONNECTION } from '@gatehouse/persistence';
import { EscalationEnv } from '../../apps/escalation/src/config/escalation.env';
import { GatesEnv } from '../../apps/gates/src/config/gates.env';
import { GatewayEnv } from '../../apps/gateway/src/config/gateway.env';
import { RunsEnv } from '../../apps/runs/src/config/runs.env';
import {
  containersOf,
  DEPLOY_DIR,
  kustomizeBuild,
  podSpecOf,
  readYamlDocuments,
  splitImage,
  yamlFilesUnder,
  type K8sObject,
} from './kustomize-build';

const K8S = join(DEPLOY_DIR, 'k8s');
const OVERLAYS = ['production', 'staging'];

/** The Kubernetes API's schema for each core kind the manifests use (kubernetes-models, offline). */
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'v1/ConfigMap': coreV1.ConfigMap,
  'v1/Service': coreV1.Service,
  'v1/ServiceAccount': coreV1.ServiceAccount,
  'apps/v1/Deployment': appsV1.Deployment,
  'batch/v1/Job': batchV1.Job,
  'policy/v1/PodDisruptionBudget': policyV1.PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': autoscalingV2.HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': networkingV1.NetworkPolicy,
};

type Service = 'gateway' | 'runs' | 'gates' | 'escalation' | 'cli';
const ENV_CLASSES: Record<Service, new () => CommonEnv> = {
  gateway: GatewayEnv,
  runs: RunsEnv,
  gates: GatesEnv,
  escalation: EscalationEnv,
  cli: CommonEnv,
};

/**
 * Settings the deploy sets that no env class here declares: the Node runtime's, the switch
 * bootstrap-service reads directly, and those of identity (DESIGN section 10) and per-service NATS
 * credentials, which their own modules validate.
 */
const READ_ELSEWHERE = [
  'NODE_OPTIONS',
  'GATEHOUSE_SKIP_PREPARE',
  'AUTH_MODE',
  'AUTH_BOOTSTRAP_ADMIN_KEY',
  'NATS_USER',
  'NATS_PASSWORD',
];

/** What a shared installation must not leave to the laptop defaults. */
const REQUIRED_IN_CLUSTER = ['NATS_URL', 'NATS_USER', 'NATS_PASSWORD', 'AUTH_MODE', 'STREAM_REPLICAS'];
/** Programs with a database; the gateway owns no tables and must not hold its credentials. */
const WITH_DATABASE: Service[] = ['runs', 'gates', 'escalation', 'cli'];

const workloadsOf = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/** Which program a container runs: `node dist/apps/<service>/src/main.js ...`. */
function serviceOf(container: { command?: string[]; [k: string]: any }): Service {
  const script = (container.command ?? []).find((c) => c.startsWith('dist/apps/'));
  const service = script?.match(/^dist\/apps\/([a-z]+)\/src\/main\.js$/)?.[1];
  if (!service || !(service in ENV_CLASSES)) throw new Error(`unknown program ${JSON.stringify(container.command)}`);
  return service as Service;
}

/** A stand-in for a Secret's value, valid for the setting it feeds. */
function secretStandIn(variable: string): string {
  if (variable === 'DATABASE_URL') return 'postgres://gatehouse:secret@gatehouse-db-pooler-rw:5432/gatehouse';
  // A key has a form the service checks at start (`npm run keygen` makes one).
  if (variable === 'AUTH_BOOTSTRAP_ADMIN_KEY') return generateApiKey();
  if (variable === 'WEBHOOK_SECRET_KEY') return 'k'.repeat(44);
  return 'secret';
}

/** The environment a container gets: ConfigMaps by envFrom, then its own env (which wins). */
function environmentOf(objects: K8sObject[], container: any): { env: Record<string, string>; secrets: string[] } {
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  for (const from of container.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const cm = find(objects, 'ConfigMap', name);
    if (!cm) throw new Error(`envFrom ConfigMap ${name} is not in the manifests`);
    Object.assign(env, cm.data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef) {
      env[e.name] = secretStandIn(e.name);
      secrets.push(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      env[e.name] = find(objects, 'ConfigMap', name)!.data![key];
    } else throw new Error(`env ${e.name}: only value, secretKeyRef and configMapKeyRef are expected`);
  }
  return { env, secrets };
}

/** The container port a probe or Service names (by name or number). */
function containerPort(container: any, port: string | number): number | undefined {
  const ports: Array<{ name?: string; containerPort: number }> = container.ports ?? [];
  return typeof port === 'number'
    ? ports.find((p) => p.containerPort === port)?.containerPort
    : ports.find((p) => p.name === port)?.containerPort;
}

/** GATE_POLICY_FILE inside the pod, as a local copy of the ConfigMap key mounted there. */
function localPolicyFile(objects: K8sObject[], workload: K8sObject, container: any, path: string): string {
  const mount = (container.volumeMounts ?? []).find((m: any) => path.startsWith(`${m.mountPath}/`));
  if (!mount) throw new Error(`GATE_POLICY_FILE ${path} is on no volume mount`);
  const volume = podSpecOf(workload).volumes.find((v: any) => v.name === mount.name);
  const cm = find(objects, 'ConfigMap', volume?.configMap?.name);
  const key = path.slice(mount.mountPath.length + 1);
  const content = cm?.data?.[key];
  if (content === undefined) throw new Error(`GATE_POLICY_FILE ${path}: no key ${key} in the mounted ConfigMap`);
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-policy-')), key);
  writeFileSync(file, content);
  return file;
}

describe('deploy/: every manifest parses', () => {
  it.each(yamlFilesUnder(DEPLOY_DIR).map((f) => [f.slice(DEPLOY_DIR.length + 1), f]))('%s', (_name, file) => {
    const docs = readYamlDocuments(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(typeof doc).toBe('object');
  });
});

describe.each(OVERLAYS)('deploy/k8s overlay %s', (overlay) => {
  const objects = kustomizeBuild(join(K8S, 'overlays', overlay));
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const workloads = workloadsOf(objects);

  it('validates every object against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (!Model) throw new Error(`${o.apiVersion}/${o.kind} ${o.metadata.name}: no schema to check it against`);
      expect(() => new Model(o).validate()).not.toThrow();
      expect(o.metadata.namespace).toBe(overlay === 'production' ? 'gatehouse' : 'gatehouse-staging');
    }
  });

  it('commits no Secret: every secret is a reference the platform team fills', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const w of workloads) {
      for (const c of containersOf(w)) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|KEY|DATABASE_URL/.test(e.name)) expect({ [e.name]: e.valueFrom?.secretKeyRef }).toBeTruthy();
          if (/PASSWORD|KEY|DATABASE_URL/.test(e.name)) expect(e.value).toBeUndefined();
        }
      }
    }
  });

  it('runs one Deployment per service and the migrate Job with the CLI', () => {
    const programs = deployments.map((d) => serviceOf(containersOf(d)[0])).sort();
    expect(programs).toEqual(['escalation', 'gates', 'gateway', 'runs']);
    const job = find(objects, 'Job', 'gatehouse-migrate')!;
    expect(containersOf(job)[0].command).toEqual(['node', 'dist/apps/cli/src/main.js', 'migrate']);
  });

  it('gives every workload probes, requests and limits, and a locked-down non-root security context', () => {
    for (const w of workloads) {
      const pod = podSpecOf(w);
      const where = `${w.kind} ${w.metadata.name}`;
      expect({ where, runAsNonRoot: pod.securityContext?.runAsNonRoot }).toEqual({ where, runAsNonRoot: true });
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of containersOf(w)) {
        for (const kind of ['requests', 'limits']) {
          expect({ where, kind, cpu: !!c.resources?.[kind]?.cpu, memory: !!c.resources?.[kind]?.memory }).toEqual({
            where,
            kind,
            cpu: true,
            memory: true,
          });
        }
        expect({ where, ...c.securityContext }).toMatchObject({
          where,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext.privileged).not.toBe(true);
        if (w.kind === 'Deployment') {
          expect({ where, liveness: !!c.livenessProbe?.httpGet, readiness: !!c.readinessProbe?.httpGet }).toEqual({
            where,
            liveness: true,
            readiness: true,
          });
        }
      }
    }
  });

  it('pins every image by a tag that is not latest', () => {
    for (const w of workloads) {
      for (const c of containersOf(w)) {
        const [, tag] = splitImage(c.image);
        expect({ image: c.image, pinned: !!tag && tag !== 'latest' }).toEqual({ image: c.image, pinned: true });
      }
    }
  });

  it('sets or defaults every setting each program reads, and every value passes its validation', () => {
    for (const w of workloads) {
      for (const c of containersOf(w)) {
        const service = serviceOf(c);
        const cls = ENV_CLASSES[service];
        const { env } = environmentOf(objects, c);
        const defaults = new cls() as unknown as Record<string, unknown>;
        for (const key of Object.keys(defaults)) {
          expect({ service, key, setOrDefaulted: key in env || defaults[key] !== undefined }).toEqual({
            service,
            key,
            setOrDefaulted: true,
          });
        }
        const unknown = Object.keys(env).filter((k) => !(k in defaults) && !READ_ELSEWHERE.includes(k));
        expect({ service, unknown }).toEqual({ service, unknown: [] });
        for (const key of REQUIRED_IN_CLUSTER)
          expect({ service, key, set: key in env }).toEqual({ service, key, set: true });
        expect({ service, database: 'DATABASE_URL' in env }).toEqual({
          service,
          database: WITH_DATABASE.includes(service),
        });
        expect(env.AUTH_MODE).toBe('required');
        expect(env.STREAM_REPLICAS).toBe('3');

        const raw = { ...env };
        if (raw.GATE_POLICY_FILE) raw.GATE_POLICY_FILE = localPolicyFile(objects, w, c, raw.GATE_POLICY_FILE);
        expect(() => validateEnv(cls, raw)).not.toThrow();
      }
    }
  });

  it('gives each service its own NATS credentials', () => {
    const secretOf = (w: K8sObject) => {
      const c = containersOf(w)[0];
      const user = c.env.find((e: any) => e.name === 'NATS_USER').valueFrom.secretKeyRef.name;
      const password = c.env.find((e: any) => e.name === 'NATS_PASSWORD').valueFrom.secretKeyRef.name;
      expect(password).toBe(user);
      return user;
    };
    const secrets = workloads.map(secretOf);
    expect(new Set(secrets).size).toBe(workloads.length);
  });

  it('probes paths and ports each service serves', () => {
    for (const d of deployments) {
      const c = containersOf(d)[0];
      const service = serviceOf(c);
      const env = validateEnv(ENV_CLASSES[service], {
        ...environmentOf(objects, c).env,
        GATE_POLICY_FILE: '',
      }) as CommonEnv & { PORT?: number };
      const served = service === 'gateway' ? env.PORT : adminPort(env);
      expect({ service, served: served! > 0 }).toEqual({ service, served: true });
      const probes = {
        livenessProbe: HEALTH_PATHS.live,
        readinessProbe: HEALTH_PATHS.ready,
        startupProbe: HEALTH_PATHS.live,
      };
      for (const [probe, path] of Object.entries(probes)) {
        const get = c[probe]?.httpGet;
        if (!get && probe === 'startupProbe') continue;
        expect({ service, probe, path: get.path, port: containerPort(c, get.port) }).toEqual({
          service,
          probe,
          path,
          port: served,
        });
      }
    }
  });

  it('routes Services to ports that exist, and budgets and scales what it should', () => {
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const target = deployments.find((d) =>
        Object.entries(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect({ service: svc.metadata.name, matches: !!target }).toEqual({ service: svc.metadata.name, matches: true });
      for (const p of svc.spec.ports) expect(containerPort(containersOf(target!)[0], p.targetPort)).toBeDefined();
    }
    for (const d of deployments) {
      const pdb = objects.find(
        (o) =>
          o.kind === 'PodDisruptionBudget' &&
          Object.entries(o.spec.selector.matchLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect({ deployment: d.metadata.name, pdb: !!pdb }).toEqual({ deployment: d.metadata.name, pdb: true });
    }
    const scaled = objects
      .filter((o) => o.kind === 'HorizontalPodAutoscaler')
      .map((h) => {
        expect(find(objects, h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name)).toBeDefined();
        // The autoscaler owns the count: a replicas field would fight it on every apply.
        expect(find(objects, 'Deployment', h.spec.scaleTargetRef.name)!.spec.replicas).toBeUndefined();
        return h.spec.scaleTargetRef.name;
      });
    expect(scaled.sort()).toEqual(['gatehouse-gates', 'gatehouse-gateway', 'gatehouse-runs']);
  });

  it('lets only the gateway take traffic from outside, and every pod reach NATS, Postgres and DNS', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const selects = (p: K8sObject, labels: Record<string, string>) => {
      const sel = p.spec.podSelector;
      const byLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
      const byExpr = (sel.matchExpressions ?? []).every(
        (e: any) => e.operator === 'In' && e.values.includes(labels[e.key]),
      );
      return byLabels && byExpr;
    };
    for (const w of workloads) {
      const labels = w.spec.template.metadata.labels;
      const mine = policies.filter((p) => selects(p, labels));
      // Default deny both ways for every Gatehouse pod.
      expect(mine.some((p) => !p.spec.ingress && !p.spec.egress && p.spec.policyTypes.length === 2)).toBe(true);
      const egressPorts = mine.flatMap((p) =>
        (p.spec.egress ?? []).flatMap((r: any) => r.ports.map((x: any) => x.port)),
      );
      expect({ pod: w.metadata.name, reaches: [4222, 5432, 53].every((port) => egressPorts.includes(port)) }).toEqual({
        pod: w.metadata.name,
        reaches: true,
      });
      const openIngress = mine.flatMap((p) => (p.spec.ingress ?? []).filter((r: any) => !r.from));
      const isGateway = labels['app.kubernetes.io/name'] === 'gatehouse-gateway';
      expect({ pod: w.metadata.name, openToAll: openIngress.length > 0 }).toEqual({
        pod: w.metadata.name,
        openToAll: isGateway,
      });
      if (isGateway) {
        const port = containerPort(containersOf(w)[0], 'http');
        expect(openIngress.flatMap((r: any) => r.ports.map((x: any) => x.port))).toEqual([port]);
      }
    }
  });
});

describe('deploy/k8s/postgres (CloudNativePG)', () => {
  const objects = kustomizeBuild(join(K8S, 'postgres'));
  const cluster = find(objects, 'Cluster', 'gatehouse-db')!;
  const pooler = objects.find((o) => o.kind === 'Pooler')!;

  it('declares a Cluster and a PgBouncer Pooler in transaction mode in front of it', () => {
    for (const o of [cluster, pooler]) expect(o.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(Number.isInteger(cluster.spec.instances) && cluster.spec.instances >= 3).toBe(true);
    expect(cluster.spec.bootstrap.initdb).toMatchObject({ database: 'gatehouse', owner: 'gatehouse' });
    expect(splitImage(cluster.spec.imageName)[1]).toMatch(/^15\./);
    expect(pooler.spec).toMatchObject({ cluster: { name: cluster.metadata.name }, type: 'rw' });
    expect(pooler.spec.pgbouncer.poolMode).toBe('transaction');
    // The services name up to MAX_NAMED_PER_CONNECTION statements per connection (prepared.ts).
    expect(Number(pooler.spec.pgbouncer.parameters.max_prepared_statements)).toBeGreaterThanOrEqual(
      MAX_NAMED_PER_CONNECTION,
    );
  });

  it('fits the connection budget of docs/deploy.md at every autoscaler maximum', () => {
    const prod = kustomizeBuild(join(K8S, 'overlays', 'production'));
    const poolMax = Number(find(prod, 'ConfigMap', 'gatehouse-config')!.data!.DB_POOL_MAX);
    const maxReplicas = (name: string) =>
      find(prod, 'HorizontalPodAutoscaler', name)?.spec.maxReplicas ?? find(prod, 'Deployment', name)!.spec.replicas;
    const backends = ['gatehouse-runs', 'gatehouse-gates', 'gatehouse-escalation'];
    // A rollout adds one surge pod per Deployment.
    const clients = backends.reduce((n, name) => n + (maxReplicas(name) + 1) * poolMax, 0);
    const params = pooler.spec.pgbouncer.parameters;
    expect(clients).toBeLessThanOrEqual(Number(params.max_client_conn) * pooler.spec.instances);
    const server = pooler.spec.instances * (Number(params.default_pool_size) + Number(params.reserve_pool_size));
    const migrate = 3; // migrate(): its pool of 2 and the CREATE DATABASE check.
    const operator = 10; // CNPG's own connections, replication and superuser_reserved_connections (3).
    expect(server + migrate + operator).toBeLessThanOrEqual(Number(cluster.spec.postgresql.parameters.max_connections));
  });
});

describe('deploy/helm/nats-values.yaml (official NATS chart)', () => {
  const values = readYamlDocuments(join(DEPLOY_DIR, 'helm', 'nats-values.yaml'))[0] as any;
  const users: Array<{ user: string; permissions: any }> = values.config.merge.authorization.users;
  const user = (name: string) => users.find((u) => u.user === name)!;
  const publishes = (name: string) => user(name).permissions.publish.allow ?? [];
  const subscribes = (name: string) => user(name).permissions.subscribe.allow ?? [];

  it('runs three nodes with JetStream on file storage, sync_interval only on a server that has it', () => {
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream).toMatchObject({ enabled: true, fileStore: { enabled: true } });
    const [major, minor] = values.container.image.tag.split(/[.-]/).map(Number);
    expect(major > 2 || (major === 2 && minor >= 10)).toBe(true);
    expect(values.config.jetstream.merge.sync_interval).toBe('always');
  });

  it('takes every password from a Secret', () => {
    for (const u of users) {
      const variable = (u as any).password.match(/^<< \$([A-Z_]+) >>$/)?.[1];
      expect({ user: u.user, variable: !!variable }).toEqual({ user: u.user, variable: true });
      expect(values.container.env[variable].valueFrom.secretKeyRef).toBeDefined();
    }
  });

  it('mirrors the permission matrix: each service alone publishes its facts and answers its rpc', () => {
    const services = ['gateway', 'runs', 'gates', 'escalation'];
    for (const svc of services) {
      const facts = publishes(svc).filter((s: string) => s.startsWith('evt.'));
      expect({ svc, facts }).toEqual({ svc, facts: svc === 'gateway' ? [] : [`evt.${svc}.>`] });
      expect(subscribes(svc)).toContain(`_INBOX.${svc}.>`);
      expect(subscribes(svc).filter((s: string) => s.startsWith('_INBOX'))).toEqual([`_INBOX.${svc}.>`]);
      const rpc = subscribes(svc).filter((s: string) => s.startsWith('rpc.'));
      expect({ svc, rpc }).toEqual({ svc, rpc: svc === 'gateway' ? [] : [`rpc.${svc}.>`] });
      if (svc !== 'gateway') expect(user(svc).permissions.allow_responses).toBe(true);
    }
    expect(publishes('gateway')).toEqual(['rpc.>']);
    const who = (subject: string) => users.filter((u) => (u.permissions.publish.allow ?? []).includes(subject));
    expect(who('q.>').map((u) => u.user)).toEqual(['runs']);
    expect(who('sys.>').map((u) => u.user)).toEqual(['gates']);
    expect(who('human.>').map((u) => u.user)).toEqual(['hitl-publisher']);
    expect(publishes('hitl-publisher')).toEqual(['human.>']);
    expect(subscribes('listener')).toEqual(['sys.>']);
    expect(user('listener').permissions.publish).toEqual({ deny: ['>'] });
  });

  it('lets each durable consumer be pulled and acknowledged only by the service that owns it', () => {
    // From the definitions: a new durable without its permissions fails here.
    for (const def of Object.values(CONSUMERS)) {
      const owner = def.durable.split('-')[0];
      const pull = `$JS.API.CONSUMER.MSG.NEXT.${def.stream}.${def.durable}`;
      const ack = `$JS.ACK.${def.stream}.${def.durable}.>`;
      const holders = users.filter((u) =>
        (u.permissions.publish.allow ?? []).some((s: string) => s === pull || s === ack),
      );
      expect({ durable: def.durable, holders: holders.map((u) => u.user) }).toEqual({
        durable: def.durable,
        holders: [owner],
      });
      expect(publishes(owner)).toEqual(expect.arrayContaining([pull, ack]));
    }
  });
});
