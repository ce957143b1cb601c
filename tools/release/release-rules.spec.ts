import { burstTriggers, loadTriggers, rollbackTriggers, sqlTriggers } from './release-rules';

const clean = {
  rollback: { duplicates: { runSteps: 0, artifacts: 0, interactions: 0, decisionKeys: 0 }, fiveXx: 0, pg53300: 0 },
};
const cleanBurst = {
  ...clean,
  burst: {
    final: { succeeded: 10, errors: 0 },
    decisions: { duplicateDecisionKeys: 0 },
    interactions: { totalRows: 10, expectedDistinct: 10 },
  },
};
const cleanSql = { ok: true, violations: { duplicateRunSteps: [], repeatedPromptOrDecisionEvents: [] } };

describe('release rollback triggers', () => {
  it('fire on nothing for clean evidence', () => {
    expect(rollbackTriggers({ load1k: clean, burst: cleanBurst, sql: cleanSql })).toEqual([]);
  });

  it('fire on any duplicate, 5xx or 53300 under load', () => {
    expect(
      loadTriggers('load-1k', {
        rollback: {
          duplicates: { runSteps: 1, artifacts: 0, interactions: 2, decisionKeys: 0 },
          fiveXx: 3,
          pg53300: 4,
        },
      }),
    ).toEqual([
      'load-1k: 1 duplicate runSteps',
      'load-1k: 2 duplicate interactions',
      'load-1k: 3 answers with status 5xx under bounded load',
      'load-1k: Postgres refused 4 connections (53300) under bounded load',
    ]);
  });

  it('refuse a load run whose 53300 count could not be measured, or evidence without its sections', () => {
    expect(loadTriggers('burst', { rollback: { ...clean.rollback, pg53300: null } })).toEqual([
      'burst: 53300 not measured (no service logs): a release needs a spawned stack',
    ]);
    expect(loadTriggers('burst', {})).toEqual(['burst: no rollback section in the evidence']);
    expect(burstTriggers({})).toEqual(['burst: no burst section in the evidence']);
  });

  it('fire on duplicate decisions, extra interaction rows or errors in the burst', () => {
    expect(
      burstTriggers({
        burst: {
          final: { errors: 2 },
          decisions: { duplicateDecisionKeys: 1 },
          interactions: { totalRows: 11, expectedDistinct: 10 },
        },
      }),
    ).toEqual([
      'burst: 1 duplicate decision keys',
      'burst: 11 interaction rows for 10 distinct dedupe keys',
      'burst: 2 unexpected answers',
    ]);
  });

  it("fire on the oracle's duplicate sets, counting decision keys apart from prompts", () => {
    expect(
      sqlTriggers({
        violations: {
          duplicateRunSteps: [{}],
          duplicateArtifacts: [{}, {}],
          duplicateInteractions: [{}],
          repeatedPromptOrDecisionEvents: [{ key: 'ui:approve-plan' }, { key: 'decision:approve-plan' }],
        },
      }),
    ).toEqual([
      'sql: 1 duplicate run_steps',
      'sql: 2 duplicate artifacts',
      'sql: 1 duplicate human_interactions',
      'sql: 1 duplicate decision keys',
    ]);
  });
});
