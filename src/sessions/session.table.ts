import type { ColumnType, Selectable } from 'kysely';

export type SessionTypeValue = 'POMODORO' | 'FREE' | 'BREAK';
export type SessionStatusValue = 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'STOPPED';
export type PauseReasonValue = 'USER' | 'DISCONNECT';

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/**
 * `study_sessions`. Elapsed time is never stored as a running counter: it is
 * `accumulated_ms` (time banked by earlier runs) plus `now - run_started_at` while RUNNING.
 * The database itself holds "at most one unfinished (RUNNING or PAUSED) session per user"
 * with a partial unique index, and "RUNNING iff run_started_at is set" with a check.
 */
export interface StudySessionTable {
  id: string;
  user_id: string;
  subject_id: string;
  type: SessionTypeValue;
  status: SessionStatusValue;
  /** The plan: a POMODORO's focus time or a BREAK's length; null for FREE. */
  focus_seconds: number | null;
  accumulated_ms: ColumnType<number, number | undefined, number>;
  run_started_at: Nullable<Date>;
  started_at: Date;
  ended_at: Nullable<Date>;
  paused_reason: Nullable<PauseReasonValue>;
  /** The student's note, 1 to 2,000 characters; null: none. */
  note: Nullable<string>;
  /** Incremented by every write, so readers can order states of the same session. */
  version: ColumnType<number, number | undefined, number>;
}

export type StudySessionRow = Selectable<StudySessionTable>;
