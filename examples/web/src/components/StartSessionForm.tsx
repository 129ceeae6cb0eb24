import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { SessionCardFieldsFragment, SessionType } from '../__generated__/graphql.js';
import { describeError } from '../errors.js';
import { errorCode } from '../graphql-fetch.js';
import {
  ActiveSessionDocument,
  PastSessionsDocument,
  StartSessionDocument,
  StopSessionDocument,
  SubjectsDocument,
} from '../operations.js';

/**
 * Picks a subject and a kind of session and starts it. With a `current` session it offers the
 * next one instead: the API allows one unfinished session per student, so starting it stops
 * the current one first (moving on from one subject to the next in one step).
 */
export function StartSessionForm({
  current,
  subjectId,
  onSubjectChange,
}: {
  current?: SessionCardFieldsFragment | undefined;
  subjectId: string | undefined;
  onSubjectChange: (id: string) => void;
}) {
  const subjects = useQuery(SubjectsDocument);
  const [type, setType] = useState<SessionType>('POMODORO');
  // As typed: a cleared field is '' (not NaN); the browser's own validation (required, 1–180)
  // keeps the form from being sent until it is a number again.
  const [focusMinutes, setFocusMinutes] = useState('25');
  const [error, setError] = useState<string>();
  const ids = { subject: useId(), minutes: useId() };
  const [start, starting] = useMutation(StartSessionDocument, {
    // The new session is the active one: the dashboard switches to the timer at once.
    update(cache, { data }) {
      if (data) cache.writeQuery({ query: ActiveSessionDocument, data: { activeSession: data.startSession } });
    },
  });

  const [stop, stopping] = useMutation(StopSessionDocument, { refetchQueries: [PastSessionsDocument] });
  const busy = starting.loading || stopping.loading;
  // aria-disabled rather than `disabled` while busy: disabling the button just pressed would
  // drop the keyboard focus to the page's top. This guard is what keeps it to one at a time.
  const submitting = useRef(false);

  // The session just went (stopped, here or elsewhere, or completed): its card and the focused
  // Stop button went with it, and the focus with them to the page's top. Give it to this
  // card's heading, where the next step is. Never taken from wherever else the student was.
  const heading = useRef<HTMLHeadingElement>(null);
  const hadSession = useRef(current !== undefined);
  useEffect(() => {
    const lostFocus = document.activeElement === null || document.activeElement === document.body;
    if (hadSession.current && !current && lostFocus) heading.current?.focus();
    hadSession.current = current !== undefined;
  }, [current]);

  const list = subjects.data?.subjects ?? [];
  const selected = list.find((s) => s.id === subjectId)?.id ?? list.at(-1)?.id;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!selected || submitting.current) return;
    submitting.current = true;
    setError(undefined);
    let stopped = false;
    try {
      if (current) {
        await stop({ variables: { id: current.id } });
        stopped = true;
      }
      await start({
        variables: {
          input: { subjectId: selected, type, ...(type === 'POMODORO' ? { focusMinutes: Number(focusMinutes) } : {}) },
        },
      });
    } catch (err) {
      // Started in another tab meanwhile: show that one. Or the start failed after the stop
      // went through: the stopped session must not stay on screen as if it were going.
      if (errorCode(err) === 'SESSION_ALREADY_ACTIVE' || stopped) {
        await starting.client.refetchQueries({ include: [ActiveSessionDocument] }).catch(() => undefined);
      }
      if (errorCode(err) !== 'SESSION_ALREADY_ACTIVE') setError(describeError(err));
    } finally {
      submitting.current = false;
    }
  }

  return (
    <section className="card start-card" aria-labelledby="start-heading">
      <h2 id="start-heading" ref={heading} tabIndex={-1}>
        {current ? 'Next session' : 'Start a session'}
      </h2>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor={ids.subject}>Subject</label>
          <select
            id={ids.subject}
            value={selected ?? ''}
            disabled={list.length === 0}
            onChange={(e) => onSubjectChange(e.target.value)}
          >
            {list.length === 0 && <option value="">Add a subject first</option>}
            {list.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>

        <fieldset className="segmented">
          <legend>Kind of session</legend>
          <label className="segmented__option">
            <input type="radio" name="type" value="POMODORO" checked={type === 'POMODORO'} onChange={() => setType('POMODORO')} />
            <span>
              <strong>Pomodoro</strong>
              <small>Counts down</small>
            </span>
          </label>
          <label className="segmented__option">
            <input type="radio" name="type" value="FREE" checked={type === 'FREE'} onChange={() => setType('FREE')} />
            <span>
              <strong>Free</strong>
              <small>Counts up</small>
            </span>
          </label>
        </fieldset>

        {type === 'POMODORO' && (
          <div className="field field--inline">
            <label htmlFor={ids.minutes}>Focus minutes</label>
            <input
              id={ids.minutes}
              type="number"
              inputMode="numeric"
              min={1}
              max={180}
              required
              value={focusMinutes}
              onChange={(e) => setFocusMinutes(e.target.value)}
            />
          </div>
        )}

        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button
          type="submit"
          className={`button button--block ${current ? 'button--secondary' : 'button--primary button--large'}`}
          disabled={!selected}
          aria-disabled={busy}
        >
          {current ? 'Stop current and start' : 'Start session'}
        </button>
      </form>
    </section>
  );
}
