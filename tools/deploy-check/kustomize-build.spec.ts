import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kustomizeBuild, splitImage } from './kustomize-build';

describe('splitImage', () => {
  it.each([
    ['gatehouse:0.1.0', ['gatehouse', '0.1.0']],
    ['registry.example.com:5000/platform/gatehouse', ['registry.example.com:5000/platform/gatehouse', undefined]],
    ['registry.example.com:5000/gatehouse:1.2', ['registry.example.com:5000/gatehouse', '1.2']],
    ['nats@sha256:abc', ['nats', undefined]],
  ])('%s', (image, parts) => {
    expect(splitImage(image)).toEqual(parts);
  });
});

describe('kustomizeBuild', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'gatehouse-kustomize-'));

  it('applies namespace, images and JSON 6902 patches the way kustomize does', () => {
    const base = dir();
    writeFileSync(
      join(base, 'app.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app }\n' +
        'spec: { replicas: 2, template: { spec: { containers: [{ name: c, image: "app:1.0" }] } } }\n',
    );
    writeFileSync(join(base, 'kustomization.yaml'), 'resources: [app.yaml]\n');
    const overlay = dir();
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      `namespace: ns\nresources: [${base}]\nimages: [{ name: app, newName: reg/app, newTag: "2.0" }]\n` +
        'patches:\n  - target: { kind: Deployment, name: app }\n    patch: "- { op: replace, path: /spec/replicas, value: 1 }"\n',
    );
    const [d] = kustomizeBuild(overlay);
    expect(d.metadata.namespace).toBe('ns');
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.containers[0].image).toBe('reg/app:2.0');
  });

  it('refuses what it does not understand and patches that match nothing', () => {
    const a = dir();
    writeFileSync(join(a, 'kustomization.yaml'), 'resources: []\nconfigMapGenerator: []\n');
    expect(() => kustomizeBuild(a)).toThrow(/configMapGenerator/);
    const b = dir();
    writeFileSync(
      join(b, 'kustomization.yaml'),
      'resources: []\npatches:\n  - target: { kind: Job }\n    patch: "- { op: remove, path: /spec }"\n',
    );
    expect(() => kustomizeBuild(b)).toThrow(/matches nothing/);
  });
});
