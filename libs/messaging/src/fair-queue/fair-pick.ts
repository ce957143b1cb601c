/** Waiting work in the order it should go out (tag order). */
export interface Candidate {
  id: string;
  partitionKey: string;
}

/** What a dispatch round may still release: free window slots, and items in flight per partition. */
export interface PickState {
  free: number;
  inFlight: Map<string, number>;
  /** A partition's own limit on items in flight; 0 for none. */
  limitOf: (partitionKey: string) => number;
  /** Partitions at their limit: the round's next reads leave them out. */
  capped: Set<string>;
}

/**
 * Takes candidates in order while the window has room, skipping partitions at their own limit, and
 * counts what it took into `state`. Returns the ids to release.
 */
export function pickWithinLimits(candidates: Candidate[], state: PickState): string[] {
  const picked: string[] = [];
  for (const c of candidates) {
    if (state.free <= 0) break;
    if (state.capped.has(c.partitionKey)) continue;
    const n = (state.inFlight.get(c.partitionKey) ?? 0) + 1;
    state.inFlight.set(c.partitionKey, n);
    picked.push(c.id);
    state.free--;
    const limit = state.limitOf(c.partitionKey);
    if (limit > 0 && n >= limit) state.capped.add(c.partitionKey);
  }
  return picked;
}

/** The round's starting state from the items in flight per partition. */
export function pickState(window: number, inFlight: Map<string, number>, limitOf: (key: string) => number): PickState {
  let total = 0;
  const capped = new Set<string>();
  for (const [key, n] of inFlight) {
    total += n;
    const limit = limitOf(key);
    if (limit > 0 && n >= limit) capped.add(key);
  }
  return { free: window - total, inFlight: new Map(inFlight), limitOf, capped };
}
