/** What follows a gate's reply: nothing, an exact replay, or a drift (same dedupe key, other payload). */
export type FollowUp = 'none' | 'duplicate' | 'drift';

/** A small seeded PRNG (mulberry32), so a scenario's plan is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Exactly round(n·share) duplicates and round(n·share) drifts, spread over the gates by a seeded
 * shuffle: the counts a report expects are exact, unlike k6's per-iteration dice.
 */
export function planFollowUps(n: number, duplicateShare: number, driftShare: number, seed = 42): FollowUp[] {
  const dups = Math.round(n * duplicateShare);
  const drifts = Math.min(n - dups, Math.round(n * driftShare));
  const plan: FollowUp[] = [
    ...Array<FollowUp>(dups).fill('duplicate'),
    ...Array<FollowUp>(drifts).fill('drift'),
    ...Array<FollowUp>(n - dups - drifts).fill('none'),
  ];
  const rnd = mulberry32(seed);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  return plan;
}
