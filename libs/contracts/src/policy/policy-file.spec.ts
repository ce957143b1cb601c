import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFile, policyFileProblem } from './load-policy-file';
import { PolicyFileError } from './policy-file.error';
import { knownRecipes, parsePolicyFile } from './policy-file';

const recipes = {
  'agent-plan': {
    'approve-plan': {
      timeoutS: 60,
      timeoutAction: 'escalate',
      escalationChain: [
        { group: 'sre-oncall', timeoutS: 600 },
        { group: 'eng-leads', timeoutS: 1200 },
      ],
    },
  },
  deploy: { 'approve-plan': { timeoutAction: 'approve' }, 'deploy-prod': {} },
  canary: { 'approve-plan': { timeoutS: 300 } },
};
const valid = { recipes };

const YAML_FILE = `# the section-11 shape
recipes:
  deploy:
    approve-plan: { timeoutS: 1800, timeoutAction: escalate,
                    escalationChain: [{ group: devops_engineer, timeoutS: 900 }] }
  canary:            # declared, every gate takes the defaults
  nightly-report: {}
`;

describe('parsePolicyFile', () => {
  it('accepts the documented shape, every field optional', () => {
    expect(parsePolicyFile(valid)).toEqual({ file: valid, legacy: false });
    expect(parsePolicyFile({})).toEqual({ file: { recipes: {} }, legacy: false });
    expect(parsePolicyFile({ recipes: null })).toEqual({ file: { recipes: {} }, legacy: false });
    // An empty YAML document parses to null: no recipes, no overrides.
    expect(parsePolicyFile(null)).toEqual({ file: { recipes: {} }, legacy: false });
    expect(parsePolicyFile({ recipes: { canary: null, x: { g: null } } }).file).toEqual({
      recipes: { canary: {}, x: { g: {} } },
    });
  });

  it('recognises the legacy shape (built-in recipes at the top level) and says so', () => {
    const legacy = { 'agent-plan': recipes['agent-plan'], deploy: recipes.deploy };
    expect(parsePolicyFile(legacy)).toEqual({ file: { recipes: legacy }, legacy: true });
  });

  it.each([
    ['not a map', [], /policy file: must be a map/],
    ['an unknown section', { recipes: {}, roles: {} }, /unknown field\(s\) roles/],
    ['an unknown risk level', { riskLevels: { extreme: {} } }, /riskLevels\.extreme: must be one of low, medium/],
    [
      'auto-approve above low',
      { riskLevels: { medium: { autoApprove: true } } },
      /only the low level may auto-approve/,
    ],
    ['zero approvals', { riskLevels: { high: { requiredApprovals: 0 } } }, /requiredApprovals: must be an integer/],
    ['a bad role', { riskLevels: { high: { roles: ['Dev Ops'] } } }, /roles\[0\]: must be a role name/],
    ['an empty role list', { riskLevels: { high: { roles: [] } } }, /roles: must be a non-empty list/],
    ['a level typo', { riskLevels: { high: { requiredApproval: 2 } } }, /unknown field\(s\) requiredApproval/],
    ['a rule without match', { riskRules: [{ level: 'high' }] }, /riskRules\[0\]\.match: must be a non-empty map/],
    [
      'a rule with a nested match',
      { riskRules: [{ match: { a: { b: 1 } }, level: 'high' }] },
      /riskRules\[0\]\.match\.a/,
    ],
    ['a rule with a bad level', { riskRules: [{ match: { a: 1 }, level: 'severe' }] }, /riskRules\[0\]\.level/],
    ['self-approval as text', { allowSelfApproval: 'yes' }, /allowSelfApproval: must be true or false/],
    ['a bad gate risk level', { recipes: { deploy: { g: { riskLevel: 'huge' } } } }, /recipes\.deploy\.g\.riskLevel/],
    ['a typo of "recipes"', { recipe: { deploy: {} } }, /policy file: unknown field\(s\) recipe; allowed: recipes/],
    ['an undeclared top-level recipe (not legacy)', { canary: {} }, /unknown field\(s\) canary/],
    ['legacy mixed with a section', { deploy: {}, recipes: {} }, /unknown field\(s\) deploy/],
    ['recipes that are not a map', { recipes: [] }, /recipes: must be a map/],
    ['a bad recipe name', { recipes: { 'Big Deploy': {} } }, /recipes\.Big Deploy: recipe name must match/],
    ['a recipe that is not a map', { recipes: { deploy: 3 } }, /recipes\.deploy: must be a map/],
    ['a bad gate key', { recipes: { deploy: { 'Approve Plan': {} } } }, /recipes\.deploy\.Approve Plan: gate key/],
    [
      'an unknown field',
      { recipes: { deploy: { g: { timeout: 5 } } } },
      /recipes\.deploy\.g: unknown field\(s\) timeout/,
    ],
    [
      'a zero deadline',
      { recipes: { deploy: { g: { timeoutS: 0 } } } },
      /recipes\.deploy\.g\.timeoutS: must be an integer/,
    ],
    ['a fractional deadline', { recipes: { deploy: { g: { timeoutS: 1.5 } } } }, /timeoutS/],
    ['a deadline past 30 days', { recipes: { deploy: { g: { timeoutS: 2_592_001 } } } }, /timeoutS/],
    ['a deadline as text', { recipes: { deploy: { g: { timeoutS: '60' } } } }, /timeoutS/],
    [
      'an unknown action',
      { recipes: { deploy: { g: { timeoutAction: 'ignore' } } } },
      /timeoutAction: must be one of escalate, reject, approve/,
    ],
    [
      'a chain that is not an array',
      { recipes: { deploy: { g: { escalationChain: {} } } } },
      /escalationChain: must be an array/,
    ],
    [
      'a chain entry without a group',
      { recipes: { deploy: { g: { escalationChain: [{ timeoutS: 5 }] } } } },
      /escalationChain\[0\]\.group/,
    ],
    [
      'a chain entry with a bad group',
      { recipes: { deploy: { g: { escalationChain: [{ group: 'a b', timeoutS: 5 }] } } } },
      /group/,
    ],
    [
      'a chain entry without a deadline',
      { recipes: { deploy: { g: { escalationChain: [{ group: 'a' }] } } } },
      /escalationChain\[0\]\.timeoutS/,
    ],
    [
      'a chain entry with an extra field',
      { recipes: { deploy: { g: { escalationChain: [{ group: 'a', timeoutS: 5, x: 1 }] } } } },
      /unknown field/,
    ],
    [
      'a chain longer than 10',
      {
        recipes: {
          deploy: { g: { escalationChain: Array.from({ length: 11 }, () => ({ group: 'a', timeoutS: 5 })) } },
        },
      },
      /more than 10/,
    ],
    [
      'a gate key too long for its successors',
      { recipes: { deploy: { ['a'.repeat(62)]: { escalationChain: [{ group: 'a', timeoutS: 5 }] } } } },
      /too long/,
    ],
    ['an error inside a legacy file', { deploy: { g: { timeoutS: -1 } } }, /policy file\.deploy\.g\.timeoutS/],
  ])('refuses %s, saying where', (_label, raw, message) => {
    expect(() => parsePolicyFile(raw)).toThrow(PolicyFileError);
    expect(() => parsePolicyFile(raw)).toThrow(message);
  });
});

describe('parsePolicyFile: risk sections (DESIGN section 11)', () => {
  it('accepts levels, rules, self-approval and a gate level', () => {
    const raw = {
      riskLevels: {
        low: { autoApprove: true },
        critical: {
          requiredApprovals: 3,
          roles: ['devops_engineer'],
          requireRationale: true,
          requirePlanHash: true,
          timeoutS: 60,
        },
      },
      riskRules: [
        { name: 'prod delete', match: { action: 'delete', environment: ['production', 'prod'] }, level: 'critical' },
      ],
      allowSelfApproval: true,
      recipes: { deploy: { 'approve-plan': { riskLevel: 'high' } } },
    };
    expect(parsePolicyFile(raw)).toEqual({ file: raw, legacy: false });
  });
});

describe('knownRecipes', () => {
  it('is the built-in recipes, compile-default first, plus the declared ones once', () => {
    expect(knownRecipes({ recipes: {} })).toEqual(['compile-default', 'agent-plan', 'deploy', 'data-migration']);
    expect(knownRecipes(parsePolicyFile(valid).file)).toEqual([
      'compile-default',
      'agent-plan',
      'deploy',
      'data-migration',
      'canary',
    ]);
  });
});

describe('loadPolicyFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gate-policy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads JSON and YAML, without warnings', () => {
    expect(loadPolicyFile(write('ok.json', JSON.stringify(valid)))).toEqual({ file: valid, warnings: [] });
    expect(loadPolicyFile(write('ok.yaml', YAML_FILE))).toEqual({
      file: {
        recipes: {
          deploy: {
            'approve-plan': {
              timeoutS: 1800,
              timeoutAction: 'escalate',
              escalationChain: [{ group: 'devops_engineer', timeoutS: 900 }],
            },
          },
          canary: {},
          'nightly-report': {},
        },
      },
      warnings: [],
    });
  });

  it('is no file at all for an empty path', () => {
    expect(loadPolicyFile('')).toEqual({ file: { recipes: {} }, warnings: [] });
  });

  it('reads the legacy shape with a warning naming the one-step migration', () => {
    const path = write('legacy.json', JSON.stringify({ deploy: { 'approve-plan': { timeoutAction: 'approve' } } }));
    const loaded = loadPolicyFile(path);
    expect(loaded.file).toEqual({ recipes: { deploy: { 'approve-plan': { timeoutAction: 'approve' } } } });
    expect(loaded.warnings).toEqual([expect.stringContaining('top-level "recipes:" key')]);
    expect(loaded.warnings[0]).toContain(path);
    expect(loaded.warnings[0]).toContain('docs/configuration.md#gate-policy-file');
  });

  it('names the file and the problem', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadPolicyFile(missing)).toThrow(`cannot read ${missing}`);
    const notJson = write('bad.json', '{ nope');
    expect(() => loadPolicyFile(notJson)).toThrow(`${notJson} is not valid YAML or JSON`);
    const dupKeys = write('dup.yaml', 'recipes:\n  deploy: {}\n  deploy: {}\n');
    expect(() => loadPolicyFile(dupKeys)).toThrow(`${dupKeys} is not valid YAML or JSON`);
    const wrong = write('wrong.yaml', 'recipes:\n  deploy:\n    g: { timeoutAction: ignore }\n');
    expect(() => loadPolicyFile(wrong)).toThrow(`${wrong}: recipes.deploy.g.timeoutAction: must be one of`);
  });

  it('policyFileProblem: none for no file or a valid one, the message otherwise', () => {
    expect(policyFileProblem('')).toBeUndefined();
    expect(policyFileProblem(undefined)).toBeUndefined();
    expect(policyFileProblem(write('ok2.json', '{}'))).toBeUndefined();
    expect(policyFileProblem(join(dir, 'nope.json'))).toMatch(/cannot read/);
    expect(policyFileProblem(42)).toBe('must be a path');
  });
});
