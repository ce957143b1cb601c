import { planFollowUps } from './reply-plan';

describe('planFollowUps', () => {
  it('plans exactly the scenario shares of replays and drifts', () => {
    const plan = planFollowUps(500, 0.2, 0.1);
    expect(plan).toHaveLength(500);
    expect(plan.filter((p) => p === 'duplicate')).toHaveLength(100);
    expect(plan.filter((p) => p === 'drift')).toHaveLength(50);
    expect(plan.filter((p) => p === 'none')).toHaveLength(350);
  });

  it('spreads them over the gates rather than bunching them at the start', () => {
    const plan = planFollowUps(1000, 0.2, 0.1);
    const firstHalf = plan.slice(0, 500).filter((p) => p !== 'none').length;
    expect(firstHalf).toBeGreaterThan(100);
    expect(firstHalf).toBeLessThan(200);
  });

  it('is the same plan on every run', () => {
    expect(planFollowUps(40, 0.25, 0.1)).toEqual(planFollowUps(40, 0.25, 0.1));
  });

  it('never plans more follow-ups than gates', () => {
    const plan = planFollowUps(3, 0.9, 0.9);
    expect(plan).toHaveLength(3);
    expect(plan.filter((p) => p === 'duplicate')).toHaveLength(3);
    expect(planFollowUps(0, 0.5, 0.5)).toEqual([]);
  });
});
