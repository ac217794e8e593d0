import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, call, get, setSession } from './api.ts';
import { PAGES } from './pages.ts';
import './style.css';

type Auth = { state: 'checking' } | { state: 'out'; reason?: string } | { state: 'in' };

const pageFromHash = () => {
  const id = location.hash.replace(/^#\/?/, '');
  return PAGES.find((p) => p.id === id) ?? PAGES[0]!;
};

function SignIn(props: { reason?: string; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await call<{ csrfToken: string }>('POST', '/admin/v1/session', { token });
      setSession(session.csrfToken);
      setToken('');
      props.onSignedIn();
    } catch (err) {
      setError(
        err instanceof ApiFailure && err.code === 'RECLAIM_ERR_RATE_LIMITED'
          ? 'Too many attempts. Wait a minute and try again.'
          : err instanceof ApiFailure && err.status === 401
            ? 'That is not the admin token.'
            : String(err instanceof Error ? err.message : err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <div class="brand big">Reclaim</div>
        <h1 id="signin-title">Sign in</h1>
        {props.reason && <p class="note">{props.reason}</p>}
        <label for="token">Admin token</label>
        <input
          id="token"
          type="password"
          autocomplete="current-password"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          required
        />
        <p class="muted small">The value of RECLAIM_ADMIN_TOKEN in the server's configuration.</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [page, setPage] = useState(pageFromHash);

  useEffect(() => {
    setSession(undefined, () => setAuth({ state: 'out', reason: 'Your session ended. Sign in again.' }));
    get<{ csrfToken?: string }>('/admin/v1/session').then(
      (me) => {
        setSession(me.csrfToken);
        setAuth({ state: 'in' });
      },
      () => setAuth({ state: 'out' }),
    );
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.title = auth.state === 'in' ? `${page.title} · Reclaim` : 'Sign in · Reclaim';
  }, [page, auth]);

  if (auth.state === 'checking') return <p class="muted">Loading…</p>;
  if (auth.state === 'out')
    return <SignIn reason={auth.reason} onSignedIn={() => setAuth({ state: 'in' })} />;

  const signOut = async () => {
    await call('DELETE', '/admin/v1/session').catch(() => undefined);
    setSession(undefined);
    setAuth({ state: 'out', reason: 'You are signed out.' });
  };
  const Page = page.component;
  return (
    <div class="shell">
      <header class="top">
        <a class="skip" href="#content">
          Skip to content
        </a>
        <div class="brand">Reclaim</div>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === page.id ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <button type="button" class="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        <h1>{page.title}</h1>
        <Page key={page.id} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
