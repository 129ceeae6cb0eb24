import { useApolloClient } from '@apollo/client/react';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
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

  // The cache holds one student's data. When the student changes (signed out, or this tab's
  // refresh took in another tab's log-in as someone else), it is emptied before the next
  // student's dashboard mounts (keyed by student, so nothing of the previous one's state
  // survives either): a dashboard rendered first would show the previous student's cached
  // sessions under the new student's name until its queries answered. Nothing is mounted
  // that reads the cache while it is emptied, so `clearStore()` is enough (`resetStore()`
  // would refetch the queries of a dashboard that is gone). The socket is ended by
  // ./apollo.ts on the same change.
  const studentId = auth.status === 'signedIn' ? auth.student.id : undefined;
  const [cacheOwner, setCacheOwner] = useState(studentId);
  useEffect(() => {
    if (cacheOwner === studentId) return undefined;
    // Nobody's data in the cache yet (first sign-in, or cleared at the sign-out): take it over.
    if (cacheOwner === undefined) {
      setCacheOwner(studentId);
      return undefined;
    }
    let current = true;
    void client.clearStore().finally(() => {
      if (current) setCacheOwner(studentId);
    });
    return () => {
      current = false;
    };
  }, [client, cacheOwner, studentId]);

  if (auth.status === 'signedIn' && (cacheOwner === undefined || cacheOwner === auth.student.id)) {
    return <Dashboard key={auth.student.id} student={auth.student} />;
  }
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
