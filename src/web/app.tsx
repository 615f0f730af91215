import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, SESSION_LOST, setCsrfToken, type SessionInfo } from './api.js';
import { signedOutSession } from '../server/session-info.js';
import { Notice, type NoticeMessage } from './components/notice.js';
import { DatabasePage } from './pages/database.js';
import { HealthPage } from './pages/health.js';
import { LoginPage } from './pages/login.js';
import { ManifestPage } from './pages/manifest.js';
import { ReleasesPage } from './pages/releases.js';
import { errorText } from './use-load.js';

const PAGES = [
  { path: '/health', label: 'Health' },
  { path: '/database', label: 'Database' },
  { path: '/releases', label: 'Releases' },
  { path: '/manifest', label: 'Build manifest' },
] as const;
type PagePath = (typeof PAGES)[number]['path'];

const SIGNED_OUT = signedOutSession();

const pathOf = (p: string): PagePath => PAGES.find((x) => x.path === p)?.path ?? '/health';

/** Session, navigation (History API; the server answers these paths with index.html) and the current page. */
export function App() {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [bootError, setBootError] = useState<string | null>(null);
  const [page, setPage] = useState<PagePath>(pathOf(location.pathname));
  const [message, setMessage] = useState<NoticeMessage | null>(null);
  // Focus moves to the page heading after a navigation or a sign-in, not on the first load (where the browser's
  // own start of the document is the right place, and Tab reaches the skip link first).
  const focusHeading = useRef(false);
  const [ended, setEnded] = useState(false);

  const accept = useCallback((s: SessionInfo) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
  }, []);
  useEffect(() => {
    api.session().then(accept, (e: unknown) => setBootError(errorText(e)));
    const onPop = () => {
      focusHeading.current = true;
      setPage(pathOf(location.pathname));
    };
    const onLost = () => {
      setEnded(true);
      setCsrfToken(null);
      setSession(SIGNED_OUT);
      setMessage(null);
    };
    addEventListener('popstate', onPop);
    addEventListener(SESSION_LOST, onLost);
    return () => {
      removeEventListener('popstate', onPop);
      removeEventListener(SESSION_LOST, onLost);
    };
  }, [accept]);
  useEffect(() => {
    // Move focus to the new page's heading so screen readers and keyboard users start there.
    if (session?.authenticated && focusHeading.current) {
      focusHeading.current = false;
      document.getElementById('page-title')?.focus();
    }
    document.title = `${PAGES.find((p) => p.path === page)?.label ?? ''} · Slipway`;
  }, [page, session?.authenticated]);

  const go = (e: MouseEvent, path: PagePath) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // let the browser open a new tab
    e.preventDefault();
    if (path !== page) history.pushState(null, '', path);
    focusHeading.current = true;
    setMessage(null);
    setPage(path);
  };
  const logout = async () => {
    try {
      await api.logout();
    } finally {
      setCsrfToken(null);
      setSession(SIGNED_OUT);
    }
  };

  if (bootError)
    return (
      <main id="main">
        <p class="error-text" role="alert">
          Cannot reach the server: {bootError}
        </p>
      </main>
    );
  if (!session)
    return (
      <main id="main">
        <p class="meta">Loading…</p>
      </main>
    );
  if (!session.authenticated) {
    return (
      <LoginPage
        notice={ended ? 'Your session has ended (it expired or the server restarted). Sign in again.' : null}
        onLogin={(s) => {
          setEnded(false);
          focusHeading.current = true;
          accept(s);
        }}
      />
    );
  }
  const p = session.permissions;
  const role = p.admin ? 'admin' : p.deploy ? 'deployer' : p.read ? 'viewer' : 'no access';

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Slipway</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.map((x) => (
              <li key={x.path}>
                <a href={x.path} aria-current={x.path === page ? 'page' : undefined} onClick={(e) => go(e, x.path)}>
                  {x.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="user" data-testid="user">
          {session.user} <span class="meta">({role})</span>
        </span>
        <button type="button" onClick={() => void logout()}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Notice message={message} onDismiss={() => setMessage(null)} />
        {!p.read ? (
          <p class="error-text" role="alert">
            Your account ({session.groups.join(', ') || 'no groups'}) may not read anything here. Ask an administrator
            to add you to the viewers group.
          </p>
        ) : page === '/health' ? (
          <HealthPage />
        ) : page === '/database' ? (
          <DatabasePage onMessage={setMessage} />
        ) : page === '/releases' ? (
          <ReleasesPage permissions={p} onMessage={setMessage} />
        ) : (
          <ManifestPage />
        )}
      </main>
    </>
  );
}
