import { ApiError } from '../api/client';

/** Shows what the API said: its code and message, never a guess. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className="error" data-testid="error">
      <strong>{code}</strong> {message}
    </div>
  );
}
