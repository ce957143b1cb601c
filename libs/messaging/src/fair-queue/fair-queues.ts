import { subjects } from '@gatehouse/contracts';

/**
 * The queues whose work is dispatched fairly across partition keys (DESIGN section 2: the partition
 * key is the unit of fairness). Work for them is written to the schema's `work_queue` table and
 * released to JetStream by a FairDispatcher, a bounded window at a time; see docs/architecture.md.
 */
export const FAIR_QUEUES = {
  intentQ: { name: 'intentQ', subjectPrefix: subjects.intentTask('') },
  sbxQ: { name: 'sbxQ', subjectPrefix: subjects.sandboxTask('') },
} as const;

export type FairQueueName = keyof typeof FAIR_QUEUES;

/** The fair queue and partition key a subject belongs to, or null for any other subject. */
export function fairQueueOf(subject: string): { queue: FairQueueName; partitionKey: string } | null {
  for (const def of Object.values(FAIR_QUEUES)) {
    if (subject.startsWith(def.subjectPrefix) && subject.length > def.subjectPrefix.length) {
      return { queue: def.name, partitionKey: subject.slice(def.subjectPrefix.length) };
    }
  }
  return null;
}

/**
 * The name of the advisory lock a queue's dispatch round holds (`pg_try_advisory_xact_lock` of its
 * `hashtextextended(name, 0)`): while any session holds it, no replica releases work of that queue.
 */
export function dispatchLockName(schema: string, queue: FairQueueName): string {
  return `${schema}.work_queue:${queue}`;
}
