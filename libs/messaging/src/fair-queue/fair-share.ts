/** A partition with work waiting: how much of it is in flight, and the id of its oldest waiting item. */
export interface WaitingPartition {
  key: string;
  inFlight: number;
  /** Id of the partition's oldest waiting item: breaks ties between equal shares, oldest first. */
  head: number;
}

export interface FairShareInput {
  /** Items that may be in flight at once, over all partitions. */
  window: number;
  /** Items in flight now, over all partitions (including partitions with nothing waiting). */
  inFlightTotal: number;
  partitions: WaitingPartition[];
  /** A partition's own limit on items in flight; 0 for none. */
  limitOf: (key: string) => number;
}

/**
 * Max-min fair share of the window's free slots: each slot goes to the partition with the fewest
 * items in flight that is still under its limit (oldest waiting item first among equals), so a
 * partition with little work is served before a busy one gets another slot, however much the busy
 * one has waiting. Returns how many items to release per partition; partitions with none are left out.
 */
export function fairShare(input: FairShareInput): Map<string, number> {
  const quotas = new Map<string, number>();
  let free = input.window - input.inFlightTotal;
  const heap = new MinHeap<{ key: string; level: number; head: number; cap: number }>((a, b) =>
    a.level !== b.level ? a.level - b.level : a.head - b.head,
  );
  for (const p of input.partitions) {
    const limit = input.limitOf(p.key);
    const cap = limit > 0 ? limit : Number.POSITIVE_INFINITY;
    if (p.inFlight < cap) heap.push({ key: p.key, level: p.inFlight, head: p.head, cap });
  }
  while (free > 0 && heap.size > 0) {
    const p = heap.pop()!;
    quotas.set(p.key, (quotas.get(p.key) ?? 0) + 1);
    free--;
    p.level++;
    if (p.level < p.cap) heap.push(p);
  }
  return quotas;
}

/** A binary min-heap: a round's cost stays O(slots × log partitions) with thousands of partitions. */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (this.less(a[i], a[parent]) >= 0) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
      if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m], a[i]];
      i = m;
    }
    return top;
  }
}
