import { useApolloClient } from '@apollo/client/react';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { getAuthState, restoreSession, subscribeAuthState } from '../auth/credentials.js';
import { AuthScreen } from './AuthScreen.js';
import { Dashboard } from './Dashboard.js';

/** Signs the student back in from the refresh cookie, then shows the dashboard or the sign-in form. */
export function App() {
  const auth = useSyncExternalStore(subscribeAuthState, getAuthState);
  const client = useApolloClient();
  const [unreachable, setUnreachable] = useState(false);

  const restore = useCallback(() => {
    setUnreachable(false);
    restoreSession().catch(() => setUnreachable(true));
  }, []);
  useEffect(restore, [restore]);

  // Whoever signs in next must not see the previous student's cached data.
  const studentId = auth.status === 'signedIn' ? auth.student.id : undefined;
  const previous = useRef(studentId);
  useEffect(() => {
    if (previous.current !== undefined && previous.current !== studentId) void client.clearStore();
    previous.current = studentId;
  }, [client, studentId]);

  if (auth.status === 'signedIn') return <Dashboard student={auth.student} />;
  if (auth.status === 'signedOut') return <AuthScreen expired={auth.reason === 'expired'} />;
  return (
    <main className="splash" aria-busy={!unreachable}>
      <Brand />
      {unreachable ? (
        <div className="splash__problem" role="alert">
          <p>studyclock cannot be reached right now.</p>
          <button type="button" className="button button--primary" onClick={restore}>
            Try again
          </button>
        </div>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </main>
  );
}

/** The logo: a clock face and the name. */
export function Brand({ small = false }: { small?: boolean }) {
  return (
    <span className={small ? 'brand brand--small' : 'brand'}>
      <svg className="brand__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <circle cx="16" cy="17" r="12" fill="none" stroke="currentColor" strokeWidth="3" />
        <path d="M16 10v7l4.5 3" fill="none" stroke="currentColor" strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
        <path d="M12 3h8" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
      </svg>
      studyclock
    </span>
  );
}
