import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * `study_session_runs`: the history of a session's running stretches, one row from each start
 * or resume to the pause, stop or completion that ends it (`ended_at` null while it runs; at most
 * one open row per student). Written in the transaction of the state change it records.
 * `user_id` and `subject_id` are the session's (a composite foreign key holds them equal), so
 * that one index finds a student's stretches by instant. History only: elapsed time is still
 * derived from the session row.
 */
export interface StudySessionRunTable {
  /** Identity, in insertion order (bigint, read as a number by both drivers). */
  id: Generated<number>;
  session_id: string;
  user_id: string;
  subject_id: string;
  started_at: Date;
  ended_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type StudySessionRunRow = Selectable<StudySessionRunTable>;
