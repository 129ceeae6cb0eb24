import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useId, useRef, useState } from 'react';
import { deleteAccount, type Student } from '../auth/credentials.js';
import { describeError } from '../errors.js';
import { formatWhen } from '../format.js';
import { errorCode } from '../graphql-fetch.js';
import { ChangePasswordDocument, LogInsDocument, RevokeLogInDocument } from '../operations.js';

/** What to say when a password check failed: the student typed their own password wrong. */
function describePasswordError(error: unknown): string {
  return errorCode(error) === 'INVALID_CREDENTIALS' ? 'That is not your current password.' : describeError(error);
}

/** Current and new password; the other log-ins end with the change (the API's rule). */
function ChangePasswordCard() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const ids = { current: useId(), next: useId() };
  const [change, changing] = useMutation(ChangePasswordDocument, { refetchQueries: [LogInsDocument] });
  const sending = useRef(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sending.current) return;
    sending.current = true;
    setError(undefined);
    setDone(false);
    try {
      await change({ variables: { current, new: next } });
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (err) {
      setError(describePasswordError(err));
    } finally {
      sending.current = false;
    }
  }

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      <form className="stack-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={ids.current}>Current password</label>
          <input id={ids.current} type="password" autoComplete="current-password" required value={current}
            onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.next}>New password</label>
          <input id={ids.next} type="password" autoComplete="new-password" required value={next}
            onChange={(e) => setNext(e.target.value)} />
        </div>
        <button type="submit" className="button button--primary" aria-disabled={changing.loading}>
          Change password
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {/* Always on the page, so that its text is announced when it appears. */}
      <p className="notice-slot" role="status">
        {done && 'Password changed. Your other devices have been logged out.'}
      </p>
    </section>
  );
}

/** Every live log-in of the student's, this device's marked, the others with a button to end them. */
function LogInsCard() {
  const logIns = useQuery(LogInsDocument, { fetchPolicy: 'cache-and-network' });
  const [error, setError] = useState<string>();
  // The list again after each revocation: an ended log-in leaves it.
  const [revoke, revoking] = useMutation(RevokeLogInDocument, { refetchQueries: [LogInsDocument], awaitRefetchQueries: true });
  const sending = useRef(false);

  async function end(id: string) {
    if (sending.current) return;
    sending.current = true;
    setError(undefined);
    try {
      await revoke({ variables: { id } });
    } catch (err) {
      // Ended already (logged out there, or from another tab): the list was stale.
      if (errorCode(err) === 'NOT_FOUND') await logIns.refetch();
      else setError(describeError(err));
    } finally {
      sending.current = false;
    }
  }

  const list = logIns.data?.logIns ?? [];
  return (
    <section className="card" aria-labelledby="log-ins-heading">
      <h2 id="log-ins-heading">Where you are logged in</h2>
      {logIns.error && !logIns.data ? (
        <p className="error" role="alert">
          {describeError(logIns.error)}
        </p>
      ) : (
        <ul className="log-ins" aria-labelledby="log-ins-heading">
          {list.map((l) => (
            <li key={l.id} className="log-in">
              <div className="log-in__what">
                <span className="log-in__agent" title={l.userAgent ?? undefined}>
                  {l.userAgent ?? 'Unknown browser'}
                </span>
                <span className="muted">
                  {l.address ?? 'Unknown address'} · last used <time dateTime={l.lastUsedAt}>{formatWhen(l.lastUsedAt)}</time>
                </span>
              </div>
              {l.current ? (
                <span className="pill pill--current">This device</span>
              ) : (
                <button type="button" className="button button--secondary" aria-disabled={revoking.loading} onClick={() => void end(l.id)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** Deleting the account, behind a second step where the student types their password. */
function DeleteAccountCard({ email }: { email: string }) {
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const passwordId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      // Signed out on success: the app shows the sign-in screen, this card is gone.
      await deleteAccount(password);
    } catch (err) {
      setError(describePasswordError(err));
      setBusy(false);
    }
  }

  return (
    <section className="card card--danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p className="muted">
        Deletes {email} with every subject, session and setting of it, and logs out every device. This cannot be undone.
      </p>
      {!confirming ? (
        <button type="button" className="button button--danger" onClick={() => setConfirming(true)}>
          Delete account…
        </button>
      ) : (
        <form className="stack-form" onSubmit={submit}>
          <div className="field">
            <label htmlFor={passwordId}>Type your password to confirm</label>
            <input id={passwordId} type="password" autoComplete="current-password" required autoFocus value={password}
              onChange={(e) => setPassword(e.target.value)} />
          </div>
          <div className="button-row">
            <button type="submit" className="button button--danger" aria-disabled={busy}>
              Delete my account for good
            </button>
            <button
              type="button"
              className="button button--ghost"
              onClick={() => {
                setConfirming(false);
                setPassword('');
                setError(undefined);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** The student's account: password, log-ins, deletion. */
export function AccountPage({ student }: { student: Student }) {
  return (
    <main className="single">
      <h1 className="page-title">Account</h1>
      <ChangePasswordCard />
      <LogInsCard />
      <DeleteAccountCard email={student.email} />
    </main>
  );
}
