import type { ReactNode } from 'react';

/**
 * A secret the API shows only in the answer that made it (a new key, a webhook's signing secret):
 * shown here once with a hint to copy it, and forgotten when the user presses Done.
 */
export function SecretOnce({
  children,
  secret,
  testId,
  secretTestId,
  onDone,
}: {
  children: ReactNode;
  secret: string;
  testId: string;
  secretTestId: string;
  onDone: () => void;
}) {
  return (
    <div className="created" role="status" data-testid={testId}>
      <p>{children} Copy it now: it is never shown again.</p>
      <code className="secret" data-testid={secretTestId}>
        {secret}
      </code>{' '}
      <button type="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
