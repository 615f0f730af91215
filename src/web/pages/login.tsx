import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type SessionInfo } from '../api.js';
import { errorText } from '../use-load.js';

/** Sign-in form for the server's users (POST /api/login; the session cookie is HttpOnly). */
export function LoginPage(props: { onLogin: (s: SessionInfo) => void; notice?: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const userRef = useRef<HTMLInputElement>(null);
  useEffect(() => userRef.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onLogin(await api.login(username, password));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : errorText(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>Slipway</h1>
      <form
        onSubmit={submit}
        class="login-form"
        aria-labelledby="login-title"
        aria-describedby={error ? 'login-error' : undefined}
      >
        <h2 id="login-title">Sign in</h2>
        {props.notice && (
          <p class="info-text" role="status">
            {props.notice}
          </p>
        )}
        {error && (
          <p id="login-error" class="error-text" role="alert">
            {error}
          </p>
        )}
        <label>
          User name
          <input
            ref={userRef}
            name="username"
            type="text"
            autoComplete="username"
            required
            maxLength={64}
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={1024}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
