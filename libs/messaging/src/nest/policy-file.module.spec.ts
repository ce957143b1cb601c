import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { PolicyEnv } from '@gatehouse/contracts';
import { PolicyFileService } from './policy-file.module';

describe('PolicyFileService', () => {
  let dir: string;
  let warn: jest.SpyInstance;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-service-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const serviceFor = (path: string) =>
    new PolicyFileService({ get: () => path } as unknown as ConfigService<PolicyEnv, true>);

  it('without a file knows the built-in recipes and no gate policies, and warns of nothing', () => {
    const service = serviceFor('');
    expect(service.recipes).toEqual(['compile-default', 'agent-plan', 'deploy', 'data-migration']);
    expect(service.file).toEqual({ recipes: {} });
    expect(warn).not.toHaveBeenCalled();
  });

  it('adds the recipes a YAML file declares', () => {
    const path = join(dir, 'policy.yaml');
    writeFileSync(path, 'recipes:\n  canary:\n  deploy:\n    approve-plan: { timeoutS: 60 }\n');
    const service = serviceFor(path);
    expect(service.recipes).toEqual(['compile-default', 'agent-plan', 'deploy', 'data-migration', 'canary']);
    expect(service.file.recipes.deploy).toEqual({ 'approve-plan': { timeoutS: 60 } });
    expect(warn).not.toHaveBeenCalled();
  });

  it('logs a deprecation warning, once, for a file in the legacy shape, and still applies it', () => {
    const path = join(dir, 'legacy.json');
    writeFileSync(path, JSON.stringify({ deploy: { 'approve-plan': { timeoutAction: 'approve' } } }));
    const service = serviceFor(path);
    expect(service.file.recipes.deploy).toEqual({ 'approve-plan': { timeoutAction: 'approve' } });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatchObject({ warning: expect.stringContaining('top-level "recipes:" key') });
  });
});
