import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { applyPatch, type Operation } from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as read from a manifest. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: any;
  data?: Record<string, string>;
  [k: string]: unknown;
}

/** Every document of a YAML file; a syntax error or a duplicate key fails with the file's name. */
export function readYamlDocuments(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS();
  });
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target: { kind?: string; name?: string }; patch: string }>;
}

/**
 * The subset of `kustomize build` the manifests use (resources, namespace, images, JSON 6902
 * patches), so the offline checks see what `kubectl apply -k` would apply. Anything else in a
 * kustomization is refused, so a new feature cannot slip past the checks unseen.
 */
export function kustomizeBuild(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = readYamlDocuments(file)[0] as Kustomization & Record<string, unknown>;
  const known = ['apiVersion', 'kind', 'namespace', 'resources', 'images', 'patches'];
  const unknown = Object.keys(k).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw new Error(`${file}: fields the offline build does not understand: ${unknown.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) objects.push(...kustomizeBuild(path));
    else objects.push(...(readYamlDocuments(path) as K8sObject[]));
  }
  for (const p of k.patches ?? []) {
    const ops = readYamlDocumentsFromText(p.patch, file) as Operation[];
    const targets = objects.filter(
      (o) => (!p.target.kind || o.kind === p.target.kind) && (!p.target.name || o.metadata.name === p.target.name),
    );
    if (targets.length === 0) throw new Error(`${file}: patch target ${JSON.stringify(p.target)} matches nothing`);
    objects = objects.map((o) =>
      targets.includes(o) ? (applyPatch(o, ops, true, false).newDocument as K8sObject) : o,
    );
  }
  for (const image of k.images ?? []) {
    for (const o of objects) {
      for (const c of containersOf(o)) {
        const [name] = splitImage(c.image);
        if (name !== image.name) continue;
        c.image = `${image.newName ?? name}:${image.newTag ?? splitImage(c.image)[1]}`;
      }
    }
  }
  if (k.namespace) for (const o of objects) o.metadata.namespace = k.namespace;
  return objects;
}

function readYamlDocumentsFromText(text: string, where: string): unknown {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const doc = Array.isArray(docs) ? docs[0] : docs;
  if (doc.errors.length > 0) throw new Error(`${where}: patch: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}

/** `name:tag` into its parts (a registry port is not a tag); tag undefined when there is none. */
export function splitImage(image: string): [string, string | undefined] {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, undefined];
}

/** The pod spec of a workload (Deployment, Job), or undefined. */
export function podSpecOf(o: K8sObject): any {
  return o.spec?.template?.spec;
}

export function containersOf(o: K8sObject): Array<{ name: string; image: string; [k: string]: any }> {
  const pod = podSpecOf(o);
  return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
}

/** Every YAML file under `dir`, recursively. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

export const DEPLOY_DIR = resolve(dirname(__filename), '..', '..', 'deploy');
