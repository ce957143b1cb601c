import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import { api, whenUnauthenticated } from './api/client';
import { session } from './api/session';
import { isAdmin, type Me } from './lib/roles';
import { GatePage } from './pages/gate-page';
import { InboxPage } from './pages/inbox-page';
import { KeysPage } from './pages/keys-page';
import { RunPage } from './pages/run-page';
import { SignInPage } from './pages/sign-in-page';
import { WebhooksPage } from './pages/webhooks-page';
import { Link, match, navigate, usePath } from './router';

const MeContext = createContext<Me | null>(null);
/** The signed-in principal and its roles (null while unknown). */
export const useMe = () => useContext(MeContext);

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(session.token() !== null);
  const path = usePath();

  const signOut = useCallback(() => {
    session.signOut();
    setMe(null);
  }, []);

  useEffect(() => whenUnauthenticated(signOut), [signOut]);

  // A token kept from before a reload is checked once; a revoked one sends the user to sign in.
  useEffect(() => {
    if (session.token() === null) return;
    api
      .get<Me>('/api/whoami')
      .then(setMe)
      .catch(() => session.signOut())
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <p className="loading">Checking your session…</p>;
  if (!me) return <SignInPage onSignedIn={setMe} />;

  return (
    <MeContext.Provider value={me}>
      <header className="top">
        <nav aria-label="Main">
          <Link to="/" className="brand">
            Gatehouse
          </Link>
          <Link to="/">Inbox</Link>
          {isAdmin(me) && <Link to="/keys">Keys</Link>}
          {isAdmin(me) && <Link to="/webhooks">Webhooks</Link>}
        </nav>
        <div className="who">
          <span data-testid="signed-in-as">
            {me.name} <small>({me.roles.includes('*') ? 'every role' : me.roles.join(', ') || 'no roles'})</small>
          </span>
          {me.authMode === 'off' && <span className="warn">AUTH_MODE=off</span>}
          <button
            type="button"
            onClick={() => {
              signOut();
              navigate('/');
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Page path={path} />
      </main>
    </MeContext.Provider>
  );
}

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <InboxPage />;
  if ((m = match('/runs/:wid/gates/:g', path))) return <GatePage wid={m.wid} gateKey={m.g} />;
  if ((m = match('/runs/:wid', path))) return <RunPage wid={m.wid} />;
  if (match('/keys', path)) return <KeysPage />;
  if (match('/webhooks', path)) return <WebhooksPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No console page at this address. <Link to="/">Go to the inbox</Link>.
      </p>
    </section>
  );
}
