import { useApolloClient, useMutation } from '@apollo/client/react';
import { useRef, useState } from 'react';
import type { SessionCardFieldsFragment } from '../__generated__/graphql.js';
import { errorCode } from '../graphql-fetch.js';
import { describeError } from '../errors.js';
import { formatClock } from '../format.js';
import {
  ActiveSessionDocument,
  PastSessionsDocument,
  PauseSessionDocument,
  ResumeSessionDocument,
  StopSessionDocument,
} from '../operations.js';
import { LinkStatusBadge } from './LinkStatusBadge.js';

const STATUS_TEXT = {
  RUNNING: 'Running',
  PAUSED: 'Paused',
  COMPLETED: 'Completed',
  STOPPED: 'Stopped',
} as const;

/**
 * The running or paused session: a big timer, its state and the controls.
 *
 * The numbers come from the API only, never from a local interval: the dashboard's
 * `activeSessionUpdated` subscription (./Dashboard.tsx) writes each reading, sent each time the
 * displayed second changes, into the cached StudySession, which is what this card renders (as
 * do the mutations' answers). While the socket reconnects nothing is written, so the last
 * reading stays on screen, never a blank or a zero; the first message after a reconnection is
 * the current state. `liveError`: why that subscription failed, if it did.
 */
export function TimerCard({ session, liveError }: { session: SessionCardFieldsFragment; liveError?: string | undefined }) {
  const client = useApolloClient();
  const [error, setError] = useState<string>();

  const refetchQueries = [ActiveSessionDocument, PastSessionsDocument];
  const [pause, pausing] = useMutation(PauseSessionDocument);
  const [resume, resuming] = useMutation(ResumeSessionDocument);
  const [stop, stopping] = useMutation(StopSessionDocument, { refetchQueries });
  const busy = pausing.loading || resuming.loading || stopping.loading;
  // One action at a time. The buttons say so with aria-disabled, not `disabled`: disabling the
  // button just pressed would drop the keyboard focus to the page's top.
  const acting = useRef(false);

  async function run(action: typeof pause | typeof resume | typeof stop) {
    if (acting.current) return;
    acting.current = true;
    setError(undefined);
    try {
      await action({ variables: { id: session.id } });
    } catch (err) {
      // Another tab got there first: the state here is stale, not wrong.
      if (errorCode(err) === 'INVALID_SESSION_STATE' || errorCode(err) === 'NOT_FOUND') {
        await client.refetchQueries({ include: refetchQueries });
      } else {
        setError(describeError(err));
      }
    } finally {
      acting.current = false;
    }
  }

  const pomodoro = session.type === 'POMODORO';
  // A BREAK (started by another client: this app starts none) counts down its length too.
  const planned = session.type !== 'FREE';
  const running = session.status === 'RUNNING';
  const shown = planned ? (session.remainingSeconds ?? 0) : session.elapsedSeconds;
  const focus = session.focusSeconds ?? 0;
  const progress = pomodoro && focus > 0 ? Math.min(1, session.elapsedSeconds / focus) : undefined;
  const kind = pomodoro ? `Pomodoro · ${Math.round(focus / 60)} min` : planned ? `Break · ${Math.round(focus / 60)} min` : 'Free session';
  const statusText =
    session.status === 'PAUSED' && session.pausedReason === 'DISCONNECT'
      ? 'Paused: every screen was closed'
      : STATUS_TEXT[session.status];

  return (
    <section className={`card timer-card timer-card--${session.status.toLowerCase()}`} aria-labelledby="timer-subject">
      <div className="timer-card__head">
        <div>
          <p className="eyebrow">{kind}</p>
          <h2 id="timer-subject" className="timer-card__subject">
            {session.subject.name}
          </h2>
        </div>
        <LinkStatusBadge />
      </div>

      <div className="timer" role="timer" aria-label={planned ? 'Time left' : 'Time studied'}>
        {formatClock(shown)}
      </div>
      <p className="timer-card__status">
        {/* The session's state, not announced from here: the dashboard's live region says what
            changed (and outlives this card, which goes as soon as a session is finished). */}
        <span className={`pill pill--${session.status.toLowerCase()}`} role="status" aria-live="off">
          {statusText}
        </span>
        {pomodoro && <span className="muted">{formatClock(session.elapsedSeconds)} studied</span>}
      </p>
      {progress !== undefined && (
        <div
          className="progress"
          role="progressbar"
          aria-label="Focus time used"
          aria-valuemin={0}
          aria-valuemax={focus}
          aria-valuenow={session.elapsedSeconds}
          aria-valuetext={`${formatClock(session.elapsedSeconds)} of ${formatClock(focus)}`}
        >
          <div className="progress__bar" style={{ transform: `scaleX(${progress})` }} />
        </div>
      )}

      <div className="timer-card__actions">
        {running ? (
          <button type="button" className="button button--primary button--large" aria-disabled={busy} onClick={() => run(pause)}>
            Pause
          </button>
        ) : (
          <button type="button" className="button button--primary button--large" aria-disabled={busy} onClick={() => run(resume)}>
            Resume
          </button>
        )}
        <button type="button" className="button button--secondary button--large" aria-disabled={busy} onClick={() => run(stop)}>
          Stop
        </button>
      </div>
      {(error ?? liveError) && (
        <p className="error" role="alert">
          {error ?? liveError}
        </p>
      )}
    </section>
  );
}
