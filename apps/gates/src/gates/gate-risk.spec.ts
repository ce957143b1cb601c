import type { PolicyFile } from '@gatehouse/contracts';
import { resolveGateRisk } from './gate-risk';

const file: PolicyFile = {
  riskLevels: { low: { autoApprove: true }, high: { roles: ['tech_lead'] } },
  riskRules: [
    { name: 'prod delete', match: { action: 'delete', environment: 'production' }, level: 'critical' },
    { match: { environment: ['staging', 'qa'] }, level: 'high' },
  ],
  recipes: { report: { 'approve-plan': { riskLevel: 'low' } } },
};

describe('resolveGateRisk', () => {
  it('takes the default level and its defaults when nothing applies', () => {
    expect(resolveGateRisk({ recipes: {} }, 'compile-default', 'approve-plan', {})).toEqual({
      level: 'medium',
      reasons: ['default level medium'],
      requiredApprovals: 1,
      roles: null,
      requireRationale: false,
      requirePlanHash: false,
      allowSelfApproval: false,
      autoApprove: false,
    });
  });

  it('auto-approves a low recipe, and a matching rule raises it (turning auto-approval off)', () => {
    expect(resolveGateRisk(file, 'report', 'approve-plan', {}).autoApprove).toBe(true);
    const raised = resolveGateRisk(file, 'report', 'approve-plan', {
      plan: { steps: [{ id: 'step-1', action: 'delete', environment: 'production' }] },
    });
    expect(raised).toMatchObject({
      level: 'critical',
      autoApprove: false,
      requiredApprovals: 2,
      requirePlanHash: true,
    });
    expect(raised.reasons).toEqual(['recipe report sets approve-plan to low', 'prod delete matched: critical']);
  });

  it('matches the intent inputs and constraints, lists of values, and never lowers', () => {
    const r = resolveGateRisk(file, 'x', 'approve-plan', { constraints: { environment: 'qa' } });
    expect(r).toMatchObject({
      level: 'high',
      roles: ['tech_lead'],
      reasons: ['default level medium', 'riskRules[1] matched: high'],
    });
    const both = resolveGateRisk(file, 'x', 'approve-plan', {
      inputs: { action: 'delete', environment: 'production' },
      constraints: { environment: 'staging' },
    });
    expect(both.level).toBe('critical');
    // All fields of a match must be in one object.
    const split = resolveGateRisk(file, 'x', 'approve-plan', {
      inputs: { action: 'delete' },
      constraints: { environment: 'production' },
    });
    expect(split.level).toBe('medium');
  });
});
