import type { Operation } from 'fast-json-patch';

/** What changed between two plan versions: one line per operation, removals and additions marked. */
export function PlanDiff({ changes, testId }: { changes: Operation[]; testId?: string }) {
  if (changes.length === 0) return <p className="sub">No change.</p>;
  return (
    <ul className="diff" data-testid={testId}>
      {changes.map((c, i) => (
        <li key={i} className={`diff-${c.op}`}>
          <code>{c.op === 'remove' ? '−' : c.op === 'add' ? '+' : '~'}</code> <code>{c.path}</code>
          {'value' in c && (
            <>
              {' '}
              → <code>{JSON.stringify(c.value)}</code>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
