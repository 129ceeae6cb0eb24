import { useApolloClient, useQuery, useSubscription } from '@apollo/client/react';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import type { SessionCardFieldsFragment, SessionStatus } from '../__generated__/graphql.js';
import { logOut, type Student } from '../auth/credentials.js';
import { describeError } from '../errors.js';
import { PAGES, usePage } from '../navigation.js';
import {
  ActiveSessionDocument,
  ActiveSessionUpdatedDocument,
  PastSessionsDocument,
  SessionCardFields,
  TimerReadingFields,
} from '../operations.js';
import { AccountPage } from './AccountPage.js';
import { Brand } from './App.js';
import { PastSessions } from './PastSessions.js';
import { StartSessionForm } from './StartSessionForm.js';
import { SubjectsCard } from './SubjectsCard.js';
import { SubjectsPage } from './SubjectsPage.js';
import { TimerCard } from './TimerCard.js';

// Chart.js is most of the statistics page's weight: loaded when the page is first opened, so
// the timer, what a student opens the app for, does not wait for it.
const StatisticsPage = lazy(() => import('./StatisticsPage.js').then((m) => ({ default: m.StatisticsPage })));

/**
 * What a session's change sounds like to a screen reader; undefined for no change worth saying.
 * `lastStatus`: when the session has just gone, the last status the cache holds for it.
 */
function describeChange(
  before: SessionCardFieldsFragment | null,
  after: SessionCardFieldsFragment | null,
  lastStatus?: SessionStatus,
): string | undefined {
  if (after && after.id !== before?.id) return `Session started: ${after.subject.name}`;
  if (!after) {
    // Already said when the page showed it finished.
    if (!before || before.status === 'COMPLETED' || before.status === 'STOPPED') return undefined;
    if (lastStatus === 'COMPLETED' || lastStatus === 'STOPPED') return describeChange(before, { ...before, status: lastStatus });
    return 'Session ended';
  }
  if (after.status === before?.status) return undefined;
  switch (after.status) {
    case 'PAUSED':
      return after.pausedReason === 'DISCONNECT' ? 'Session paused: every screen was closed' : 'Session paused';
    case 'RUNNING':
      return 'Session resumed';
    case 'COMPLETED':
      return 'Pomodoro completed';
    case 'STOPPED':
      return 'Session stopped';
  }
}

/**
 * The signed-in app: the navigation, and the page it names (the timer, the default; statistics;
 * subjects; the account). Whatever the page, it follows the student's active session live with
 * `activeSessionUpdated`: the session started, paused, resumed or stopped in another tab or on
 * another device shows here without a reload, and the open socket is how this tab learns that
 * its log-in was ended elsewhere (revoked, password changed, account deleted).
 */
export function Dashboard({ student }: { student: Student }) {
  const active = useQuery(ActiveSessionDocument, { notifyOnNetworkStatusChange: false });
  const [subjectId, setSubjectId] = useState<string>();
  const page = usePage();
  const client = useApolloClient();
  const [liveError, setLiveError] = useState<string>();

  // Each update is the whole active session (or none): it becomes the `activeSession` query's
  // answer in the cache, which every view of the session renders. A session reported finished
  // is written in its final state first (the announcement below reads it from there), then
  // leaves the query, and the past sessions are read again.
  useSubscription(ActiveSessionUpdatedDocument, {
    ignoreResults: true,
    onData: ({ data }) => {
      const update = data.data?.activeSessionUpdated;
      if (!update) return;
      setLiveError(undefined);
      const reported = update.session;
      const finished = reported !== null && (reported.status === 'STOPPED' || reported.status === 'COMPLETED');
      if (reported && finished) client.cache.writeFragment({ fragment: SessionCardFields, data: reported });
      client.cache.writeQuery({ query: ActiveSessionDocument, data: { activeSession: finished ? null : reported } });
      if (finished) void client.refetchQueries({ include: [PastSessionsDocument] });
    },
    onError: (err) => setLiveError(describeError(err)),
  });

  // Another tab may have started or finished a session while this one was in the background.
  const { refetch } = active;
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refetch();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [refetch]);

  const session = active.data?.activeSession;

  // The session's changes of state, said once each in a polite live region that is always on
  // the page: never the ticks (a screen reader would speak every second), and not from the
  // timer card, which is gone by the time a finished session could be announced.
  const [announcement, setAnnouncement] = useState('');
  const seen = useRef<SessionCardFieldsFragment | null | undefined>(undefined);
  const loaded = active.data !== undefined;
  const current = session ?? null;
  useEffect(() => {
    if (!loaded) return;
    const before = seen.current;
    seen.current = current;
    // The first reading is where the page starts, not a change.
    if (before === undefined) return;
    // A session usually leaves the active query without the page ever showing it finished (the
    // query is being refetched when the stop's answer lands): its last state is in the cache.
    const last =
      before && !current
        ? client.cache.readFragment({
            id: client.cache.identify({ __typename: 'StudySession', id: before.id }),
            fragment: TimerReadingFields,
          })
        : null;
    const change = describeChange(before, current, last?.status);
    if (change) setAnnouncement(change);
    // Only these fields make a change worth saying (elapsedSeconds changes every second).
  }, [client, loaded, current?.id, current?.status, current?.pausedReason]);

  return (
    <div className="page">
      <p className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
      <header className="topbar">
        <Brand small />
        <nav className="nav" aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.id} href={p.hash} className="nav__link" aria-current={p.id === page ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <div className="topbar__account">
          <span className="topbar__email" title={student.email}>
            {student.email}
          </span>
          {/* Back to the log-in form at once, whether or not the API could be told. */}
          <button type="button" className="button button--ghost" onClick={() => void logOut().catch(() => undefined)}>
            Log out
          </button>
        </div>
      </header>
      {page === 'statistics' ? (
        <Suspense fallback={<p className="single muted">Loading…</p>}>
          <StatisticsPage />
        </Suspense>
      ) : page === 'subjects' ? (
        <SubjectsPage />
      ) : page === 'account' ? (
        <AccountPage student={student} />
      ) : (
        <main className="layout">
          <div className="layout__main">
            {active.loading && !active.data ? (
              <section className="card timer-card timer-card--loading" aria-busy="true" aria-label="Current session">
                <p className="muted">Loading your session…</p>
              </section>
            ) : active.error && !active.data ? (
              <section className="card" aria-label="Current session">
                <p className="error" role="alert">
                  {describeError(active.error)}
                </p>
                <button type="button" className="button button--secondary" onClick={() => void refetch()}>
                  Try again
                </button>
              </section>
            ) : (
              <>
                {session && <TimerCard key={session.id} session={session} liveError={liveError} />}
                <StartSessionForm current={session ?? undefined} subjectId={subjectId} onSubjectChange={setSubjectId} />
              </>
            )}
          </div>
          <div className="layout__side">
            <PastSessions />
            <SubjectsCard onCreated={setSubjectId} />
          </div>
        </main>
      )}
    </div>
  );
}
