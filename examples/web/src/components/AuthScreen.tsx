import { type FormEvent, useId, useState } from 'react';
import { logIn, signUp } from '../auth/credentials.js';
import { describeError } from '../errors.js';
import { Brand } from './App.js';

/** Log in or create an account. `expired`: the previous log-in ended (logged out elsewhere, expired). */
export function AuthScreen({ expired = false }: { expired?: boolean }) {
  const [mode, setMode] = useState<'logIn' | 'signUp'>('logIn');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ids = { email: useId(), password: useId(), hint: useId() };
  const signingUp = mode === 'signUp';

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await (signingUp ? signUp : logIn)(email.trim(), password);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  function switchMode() {
    setMode(signingUp ? 'logIn' : 'signUp');
    setError(undefined);
  }

  return (
    <main className="auth">
      <div className="auth__intro">
        <Brand />
        <p className="auth__tagline">Focus timers for your study sessions, live on every screen you have open.</p>
      </div>
      <section className="card auth__card" aria-labelledby="auth-heading">
        <h1 id="auth-heading">{signingUp ? 'Create your account' : 'Log in'}</h1>
        {expired && !error && <p className="notice">Your sign-in has ended. Please log in again.</p>}
        <form onSubmit={submit}>
          <div className="field">
            <label htmlFor={ids.email}>Email</label>
            <input
              id={ids.email}
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>Password</label>
            <input
              id={ids.password}
              type="password"
              autoComplete={signingUp ? 'new-password' : 'current-password'}
              required
              minLength={signingUp ? 10 : undefined}
              aria-describedby={signingUp ? ids.hint : undefined}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            {signingUp && (
              <p id={ids.hint} className="field__hint">
                At least 10 characters, and not your email.
              </p>
            )}
          </div>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {/* aria-disabled, not `disabled`: disabling the button just pressed would drop the
              keyboard focus to the page's top when the attempt fails. */}
          <button type="submit" className="button button--primary button--block" aria-disabled={busy}>
            {signingUp ? 'Sign up' : 'Log in'}
          </button>
        </form>
        <p className="auth__switch">
          {signingUp ? 'Already have an account?' : 'New to studyclock?'}{' '}
          <button type="button" className="link" onClick={switchMode}>
            {signingUp ? 'Log in' : 'Create an account'}
          </button>
        </p>
      </section>
    </main>
  );
}
