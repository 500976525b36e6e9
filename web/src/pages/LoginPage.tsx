import { useState, type FormEvent } from 'react';
import { ApiError, errorText, request } from '../api';
import { setKey } from '../auth';

export function LoginPage({ reason }: { reason?: string }) {
  const [key, setKeyText] = useState('');
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const candidate = key.trim();
    if (!candidate) return setError('Enter an API key.');
    setBusy(true);
    try {
      await request('GET', '/connections', undefined, candidate);
      setKey(candidate);
    } catch (err) {
      // A 403 means the key is real but narrower than admin: let it in, pages say what it may not do.
      if (err instanceof ApiError && err.status === 403) setKey(candidate);
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">smtpflow</h1>
        <p className="muted">
          Log in with an API key. The admin key is printed when smtpflow first starts, with a link that logs you in at once.
        </p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" value={key} onChange={(e) => setKeyText(e.target.value)} aria-describedby={error ? 'login-error' : undefined} autoFocus />
        {error && (
          <p id="login-error" className="error-box" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
