import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { SessionRecord } from './session.model.js';
import type { SessionStatusValue } from './session.table.js';
import type { TimerState } from './timer.js';

type Db = Kysely<Database> | Transaction<Database>;

function selectSessions(db: Db) {
  return db
    .selectFrom('study_sessions as s')
    .innerJoin('subjects as sub', 'sub.id', 's.subject_id')
    .select([
      's.id',
      's.user_id',
      's.type',
      's.status',
      's.focus_seconds',
      's.accumulated_ms',
      's.run_started_at',
      's.started_at',
      's.ended_at',
      's.paused_reason',
      's.version',
      'sub.id as subject_id',
      'sub.name as subject_name',
      'sub.created_at as subject_created_at',
    ]);
}

type SelectedRow = Awaited<ReturnType<ReturnType<typeof selectSessions>['executeTakeFirstOrThrow']>>;

function toRecord(row: SelectedRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    subject: { id: row.subject_id, name: row.subject_name, createdAt: row.subject_created_at },
    startedAt: row.started_at,
    version: row.version,
    timer: {
      type: row.type,
      status: row.status,
      focusSeconds: row.focus_seconds,
      accumulatedMs: row.accumulated_ms,
      runStartedAt: row.run_started_at,
      endedAt: row.ended_at,
      pausedReason: row.paused_reason,
    },
  };
}

/**
 * The session with this id if and only if `userId` owns it; with `forUpdate`, the row stays
 * locked until the surrounding transaction ends.
 */
export async function findSessionForOwner(
  db: Db,
  owner: { userId: string; sessionId: string },
  options: { forUpdate?: boolean } = {},
): Promise<SessionRecord | undefined> {
  let query = selectSessions(db).where('s.id', '=', owner.sessionId).where('s.user_id', '=', owner.userId);
  if (options.forUpdate) query = query.forUpdate('s');
  const row = await query.executeTakeFirst();
  return row && toRecord(row);
}

/** The owner's unfinished (RUNNING or PAUSED) session, of which the database allows one. */
export async function findActiveSession(
  db: Db,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<SessionRecord | undefined> {
  let query = selectSessions(db).where('s.user_id', '=', userId).where('s.status', 'in', ['RUNNING', 'PAUSED']);
  if (options.forUpdate) query = query.forUpdate('s');
  const row = await query.executeTakeFirst();
  return row && toRecord(row);
}

/**
 * Inserts a session. Throws unique_violation on `study_sessions_one_active_per_user` when the
 * owner already has an unfinished one.
 */
export async function insertSession(
  db: Db,
  session: { id: string; userId: string; subjectId: string; startedAt: Date; timer: TimerState },
): Promise<void> {
  await db
    .insertInto('study_sessions')
    .values({
      id: session.id,
      user_id: session.userId,
      subject_id: session.subjectId,
      started_at: session.startedAt,
      ...timerColumns(session.timer),
    })
    .execute();
}

/**
 * Writes a new timer state if the row is still at `expectedVersion` (compare-and-set), so a
 * concurrent change is never overwritten. Returns the new version, or null if it did not write.
 */
export async function updateTimer(db: Db, id: string, expectedVersion: number, next: TimerState): Promise<number | null> {
  const row = await db
    .updateTable('study_sessions')
    .set({ ...timerColumns(next), version: expectedVersion + 1 })
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returning('version')
    .executeTakeFirst();
  return row?.version ?? null;
}

function timerColumns(t: TimerState) {
  return {
    type: t.type,
    status: t.status,
    focus_seconds: t.focusSeconds,
    accumulated_ms: t.accumulatedMs,
    run_started_at: t.runStartedAt,
    ended_at: t.endedAt,
    paused_reason: t.pausedReason,
  };
}

/** Filters and keyset position for {@link listSessions}. */
export interface SessionPageQuery {
  userId: string;
  limit: number;
  after?: { startedAt: Date; id: string };
  subjectId?: string;
  status?: SessionStatusValue;
}

/** A page of the owner's sessions, newest first (by start, then id), after the given position. */
export async function listSessions(db: Db, q: SessionPageQuery): Promise<SessionRecord[]> {
  let query = selectSessions(db).where('s.user_id', '=', q.userId);
  if (q.subjectId) query = query.where('s.subject_id', '=', q.subjectId);
  if (q.status) query = query.where('s.status', '=', q.status);
  if (q.after) {
    const { startedAt, id } = q.after;
    query = query.where((eb) => eb(eb.refTuple('s.started_at', 's.id'), '<', eb.tuple(startedAt, id)));
  }
  const rows = await query.orderBy('s.started_at', 'desc').orderBy('s.id', 'desc').limit(q.limit).execute();
  return rows.map(toRecord);
}

/**
 * RUNNING POMODORO sessions whose plan is used up as of `now` (a superset check; the caller
 * settles each with the pure timer arithmetic). Optionally for one owner only.
 */
export async function findExpiredPomodoros(
  db: Db,
  now: Date,
  options: { userId?: string; sessionId?: string; limit: number },
): Promise<SessionRecord[]> {
  let query = selectSessions(db)
    .where('s.status', '=', 'RUNNING')
    .where('s.type', '=', 'POMODORO')
    .where(sql<boolean>`s.run_started_at + (s.focus_seconds * 1000 - s.accumulated_ms) * interval '1 millisecond' <= ${now}`);
  if (options.userId) query = query.where('s.user_id', '=', options.userId);
  if (options.sessionId) query = query.where('s.id', '=', options.sessionId);
  const rows = await query.orderBy('s.run_started_at').limit(options.limit).execute();
  return rows.map(toRecord);
}
