import { useQuery } from '@apollo/client/react';
import { formatDuration, formatWhen } from '../format.js';
import { PastSessionsDocument } from '../operations.js';

/** How many recent sessions the list asks for. */
const RECENT = 20;

/** Finished sessions, newest first, with how long each one was studied. */
export function PastSessions() {
  const { data, loading, error } = useQuery(PastSessionsDocument, { variables: { first: RECENT } });
  const finished = (data?.sessions.edges ?? [])
    .map((edge) => edge.node)
    .filter((s) => s.status === 'STOPPED' || s.status === 'COMPLETED');
  const total = finished.reduce((sum, s) => sum + s.elapsedSeconds, 0);
  // The sum of what is listed, named as such: only when the list is every session the student
  // has is it a total.
  const everything = data?.sessions.pageInfo.hasNextPage === false;
  const totalLabel = everything
    ? `${formatDuration(total)} in total`
    : `${formatDuration(total)} in the last ${finished.length} ${finished.length === 1 ? 'session' : 'sessions'}`;

  return (
    <section className="card past" aria-labelledby="past-heading">
      <div className="past__head">
        <h2 id="past-heading">Past sessions</h2>
        {finished.length > 0 && <span className="muted">{totalLabel}</span>}
      </div>
      {error && !data ? (
        <p className="error" role="alert">
          Past sessions could not be loaded.
        </p>
      ) : finished.length === 0 ? (
        !loading && <p className="muted">Finished sessions show up here with how long you studied.</p>
      ) : (
        <ol className="past__list" aria-labelledby="past-heading">
          {finished.map((s) => (
            <li key={s.id} className="past__item">
              <div className="past__what">
                <span className="past__subject">{s.subject.name}</span>
                <span className="past__meta">
                  <time dateTime={s.startedAt}>{formatWhen(s.startedAt)}</time>
                  {' · '}
                  {s.type === 'POMODORO' ? 'Pomodoro' : s.type === 'BREAK' ? 'Break' : 'Free'}
                  {s.status === 'COMPLETED' ? ' · completed' : ''}
                </span>
              </div>
              <span className="past__duration">
                <span className="visually-hidden">Studied for </span>
                {formatDuration(s.elapsedSeconds)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
