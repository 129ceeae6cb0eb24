import { useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { logOut, type Student } from '../auth/credentials.js';
import { describeError } from '../errors.js';
import { ActiveSessionDocument } from '../operations.js';
import { Brand } from './App.js';
import { PastSessions } from './PastSessions.js';
import { StartSessionForm } from './StartSessionForm.js';
import { SubjectsCard } from './SubjectsCard.js';
import { TimerCard } from './TimerCard.js';

/** The signed-in page: the timer (or the form to start one), subjects and past sessions. */
export function Dashboard({ student }: { student: Student }) {
  const active = useQuery(ActiveSessionDocument, { notifyOnNetworkStatusChange: false });
  const [subjectId, setSubjectId] = useState<string>();

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
  return (
    <div className="page">
      <header className="topbar">
        <Brand small />
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
              {session && <TimerCard key={session.id} session={session} />}
              <StartSessionForm current={session ?? undefined} subjectId={subjectId} onSubjectChange={setSubjectId} />
            </>
          )}
        </div>
        <div className="layout__side">
          <PastSessions />
          <SubjectsCard onCreated={setSubjectId} />
        </div>
      </main>
    </div>
  );
}
