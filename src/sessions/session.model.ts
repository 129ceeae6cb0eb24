import type { Subject } from '../subjects/subject.model.js';
import type { PauseReasonValue, SessionStatusValue, SessionTypeValue } from './session.table.js';
import { elapsedSeconds, remainingSeconds, settle, type TimerState } from './timer.js';

/** A study session as the API shows it at one instant (`observedAt`). */
export interface StudySession {
  id: string;
  userId: string;
  subject: Subject;
  type: SessionTypeValue;
  status: SessionStatusValue;
  focusSeconds: number | null;
  elapsedSeconds: number;
  remainingSeconds: number | null;
  startedAt: Date;
  endedAt: Date | null;
  pausedReason: PauseReasonValue | null;
  /** The student's note; null when there is none. */
  note: string | null;
  /** The instant the time fields were computed for. */
  observedAt: Date;
  /** The stored timer state this view was computed from. */
  timer: TimerState;
  /** Version of the stored row (see `study_sessions.version`). */
  version: number;
}

/** The stored facts of a session, with its subject. */
export interface SessionRecord {
  id: string;
  userId: string;
  subject: Subject;
  startedAt: Date;
  timer: TimerState;
  version: number;
  note: string | null;
}

/**
 * The session as of `now`. A POMODORO whose time ran out shows as COMPLETED even before the
 * database row has been settled, so no reader ever sees a finished timer as running; unless
 * `settleExpired` is false (its student's pause after disconnect is pending: it will be paused,
 * not completed, and must not be shown finished in between).
 */
export function viewSession(record: SessionRecord, now: Date, settleExpired = true): StudySession {
  const timer = settleExpired ? settle(record.timer, now) : record.timer;
  return {
    id: record.id,
    userId: record.userId,
    subject: record.subject,
    type: timer.type,
    status: timer.status,
    focusSeconds: timer.focusSeconds,
    elapsedSeconds: elapsedSeconds(timer, now),
    remainingSeconds: remainingSeconds(timer, now),
    startedAt: record.startedAt,
    endedAt: timer.endedAt,
    pausedReason: timer.pausedReason,
    note: record.note,
    observedAt: now,
    timer,
    version: record.version,
  };
}
