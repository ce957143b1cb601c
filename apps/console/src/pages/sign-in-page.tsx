import { useState, type FormEvent } from 'react';
import { request } from '../api/client';
import { session } from '../api/session';
import { ErrorBox } from '../components/error-box';
import type { Me } from '../lib/roles';

/**
 * Sign in with an API key or a JWT from the identity provider: the token is checked against
 * GET /api/whoami before it is kept. Under AUTH_MODE=off an empty token signs in as anonymous.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await request<Me>('GET', '/api/whoami', undefined, token.trim());
      session.signIn(token.trim());
      onSignedIn(me);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Gatehouse console</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label htmlFor="token">API key or token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
          placeholder="gatehouse_key_… or a JWT"
        />
        <p className="hint">Kept in this tab only, until you sign out or close it.</p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}
