import { join } from 'node:path';
import { loadPolicyFile } from './load-policy-file';

/** The commented example shipped for operators must stay a valid file. */
describe('deploy/policy/gate-policy.example.yaml', () => {
  const path = join(__dirname, '..', '..', '..', '..', 'deploy', 'policy', 'gate-policy.example.yaml');

  it('loads without warnings, with the seed roles and every level', () => {
    const { file, warnings } = loadPolicyFile(path);
    expect(warnings).toEqual([]);
    expect(Object.keys(file.riskLevels ?? {})).toEqual(['low', 'medium', 'high', 'critical']);
    expect(file.riskLevels?.medium?.roles).toEqual(['developer', 'tech_lead', 'devops_engineer']);
    expect(file.riskLevels?.critical).toMatchObject({ requiredApprovals: 2, requirePlanHash: true });
    expect(file.riskRules?.[0]).toEqual({
      name: 'production delete',
      match: { action: 'delete', environment: 'production' },
      level: 'critical',
    });
    expect(file.allowSelfApproval).toBe(false);
    expect(file.recipes.deploy['approve-plan'].escalationChain).toEqual([{ group: 'devops_engineer', timeoutS: 900 }]);
    expect(file.recipes['compile-default']).toEqual({});
  });
});
