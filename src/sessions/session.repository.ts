import { type Kysely, type QueryCreator, sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { type BreakSettings, toBreakSettings } from '../users/user-settings.model.js';
import type { SessionRecord } from './session.model.js';
import type { SessionStatusValue } from './session.table.js';
import { runChange, type TimerState } from './timer.js';

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
      's.note',
      'sub.id as subject_id',
      'sub.name as subject_name',
      'sub.created_at as subject_created_at',
      'sub.color as subject_color',
      'sub.archived_at as subject_archived_at',
    ]);
}

type SelectedRow = Awaited<ReturnType<ReturnType<typeof selectSessions>['executeTakeFirstOrThrow']>>;

function toRecord(row: SelectedRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    subject: {
      id: row.subject_id,
      name: row.subject_name,
      createdAt: row.subject_created_at,
      color: row.subject_color,
      archivedAt: row.subject_archived_at,
    },
    startedAt: row.started_at,
    version: row.version,
    note: row.note,
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

/**
 * Of these (owner, session) pairs, each session if and only if its owner owns it, in order:
 * {@link findSessionForOwner} for many at once, ownership still part of the query.
 */
export async function findSessionsForOwners(
  db: Kysely<Database>,
  owners: readonly { userId: string; sessionId: string }[],
): Promise<(SessionRecord | undefined)[]> {
  const rows = await selectSessions(db)
    .where((eb) => eb(eb.refTuple('s.id', 's.user_id'), 'in', owners.map((o) => eb.tuple(o.sessionId, o.userId))))
    .execute();
  const found = new Map(rows.map((row) => [row.id, toRecord(row)]));
  return owners.map(({ userId, sessionId }) => {
    // PostgreSQL writes uuids in lower case, and compares them whatever their case.
    const record = found.get(sessionId.toLowerCase());
    return record?.userId === userId.toLowerCase() ? record : undefined;
  });
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
 * Inserts a session and opens its first running stretch, in one statement. Throws
 * unique_violation on `study_sessions_one_active_per_user` when the owner already has an
 * unfinished one.
 */
export async function insertSession(
  db: Db,
  session: { id: string; userId: string; subjectId: string; startedAt: Date; timer: TimerState },
): Promise<void> {
  const inserted = db.with('s', (q) =>
    q
      .insertInto('study_sessions')
      .values({
        id: session.id,
        user_id: session.userId,
        subject_id: session.subjectId,
        started_at: session.startedAt,
        ...timerColumns(session.timer),
      })
      .returning('version'),
  );
  const { startsAt } = stretchChange(null, session.timer);
  await (startsAt ? inserted.with('opened', (q) => openStretch(q, session, startsAt)) : inserted).selectFrom('s').select('version').execute();
}

/** The running stretch a change `prev` → `next` ends or begins (see `runChange`); a BREAK has none: the table holds study time, and statistics count everything in it. */
function stretchChange(prev: TimerState | null, next: TimerState): { endsAt: Date | null; startsAt: Date | null } {
  return next.type === 'BREAK' ? { endsAt: null, startsAt: null } : runChange(prev, next);
}

/** Inserts the session's new running stretch, beginning at `startsAt`, if the statement's `s` wrote the session's row. */
function openStretch(q: QueryCreator<Database & { s: { version: number } }>, session: { id: string; userId: string; subjectId: string }, startsAt: Date) {
  return q
    .insertInto('study_session_runs')
    .columns(['session_id', 'user_id', 'subject_id', 'started_at'])
    .expression(({ selectFrom }) =>
      selectFrom('s').select([
        sql<string>`${session.id}::uuid`.as('session_id'),
        sql<string>`${session.userId}::uuid`.as('user_id'),
        sql<string>`${session.subjectId}::uuid`.as('subject_id'),
        sql<Date>`${startsAt}::timestamptz`.as('started_at'),
      ]),
    );
}

/**
 * Writes a new timer state (and, when `note` is given, the note with it) if the row is still at
 * the record's version (compare-and-set), so a concurrent change is never overwritten, and
 * records the running stretch it ends or begins (see `runChange`) in the same statement: one
 * round trip, atomic with or without a surrounding transaction. Returns the new version, or
 * null if it did not write.
 *
 * A RUNNING session always has its one open stretch (written with it, or by the migration's
 * backfill). Ending a stretch that is not there would silently lose history, so the statement
 * then fails as a whole (division by zero: the count of stretches it closed) and writes nothing.
 */
export async function updateTimer(db: Db, record: SessionRecord, next: TimerState, changes: { note?: string | null } = {}): Promise<number | null> {
  const session = db.with('s', (q) =>
    q
      .updateTable('study_sessions')
      .set({ ...timerColumns(next), ...('note' in changes && { note: changes.note }), version: record.version + 1 })
      .where('id', '=', record.id)
      .where('version', '=', record.version)
      .returning('version'),
  );
  const { endsAt, startsAt } = stretchChange(record.timer, next);
  // No transition both ends and begins a stretch (runChange).
  const query = endsAt
    ? session
        .with('closed', (q) =>
          q
            .updateTable('study_session_runs')
            .set({ ended_at: endsAt })
            .where('session_id', '=', record.id)
            .where('ended_at', 'is', null)
            .where(({ exists, selectFrom }) => exists(selectFrom('s').select('version')))
            .returning('session_id'),
        )
        .selectFrom('s')
        .select(['version', sql<number>`1 / (select count(*) from closed)::int`.as('closed')])
    : startsAt
      ? session
          .with('opened', (q) => openStretch(q, { id: record.id, userId: record.userId, subjectId: record.subject.id }, startsAt))
          .selectFrom('s')
          .select('version')
      : session.selectFrom('s').select('version');
  const row = await query.executeTakeFirst();
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

/**
 * Sets the note of the owner's session (null clears it) and bumps its version, so that the
 * state a live subscriber is sent with the note is newer than the one before. Row-locked like
 * every write of a session's row: a transition in flight finishes first. Returns the new
 * version, or null for a foreign or missing session (nothing written).
 */
export async function updateNote(
  trx: Transaction<Database>,
  owner: { userId: string; sessionId: string },
  note: string | null,
): Promise<number | null> {
  const row = await trx
    .updateTable('study_sessions')
    .set((eb) => ({ note, version: eb('version', '+', 1) }))
    .where('id', '=', owner.sessionId)
    .where('user_id', '=', owner.userId)
    .returning('version')
    .executeTakeFirst();
  return row?.version ?? null;
}

/**
 * Deletes the owner's session and its running stretches, in the caller's transaction. Returns
 * false (nothing deleted) for a foreign or missing one. The stretches are deleted here rather
 * than left to the foreign key's cascade, so that what a deletion removes reads in one place.
 */
export async function deleteSessionForOwner(trx: Transaction<Database>, owner: { userId: string; sessionId: string }): Promise<boolean> {
  return (await deleteOwnedSessions(trx, owner.userId, { session: owner.sessionId })) > 0;
}

/** Deletes the owner's sessions (one, or all of a subject) and their running stretches; returns how many sessions. */
async function deleteOwnedSessions(trx: Transaction<Database>, userId: string, which: { session: string } | { subject: string }): Promise<number> {
  const [runColumn, sessionColumn, value] =
    'session' in which ? (['session_id', 'id', which.session] as const) : (['subject_id', 'subject_id', which.subject] as const);
  await trx.deleteFrom('study_session_runs').where(runColumn, '=', value).where('user_id', '=', userId).execute();
  const deleted = await trx.deleteFrom('study_sessions').where(sessionColumn, '=', value).where('user_id', '=', userId).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}

/** How many sessions the owner has on a subject, and the unfinished one among them, if any. */
export async function subjectSessionUsage(
  db: Db,
  owner: { userId: string; subjectId: string },
): Promise<{ sessions: number; unfinishedSessionId: string | null }> {
  const counted = await db
    .selectFrom('study_sessions')
    .select((eb) => eb.fn.countAll<number>().as('sessions'))
    .where('user_id', '=', owner.userId)
    .where('subject_id', '=', owner.subjectId)
    .executeTakeFirstOrThrow();
  const unfinished = await db
    .selectFrom('study_sessions')
    .select('id')
    .where('user_id', '=', owner.userId)
    .where('subject_id', '=', owner.subjectId)
    .where('status', 'in', ['RUNNING', 'PAUSED'])
    .executeTakeFirst();
  return { sessions: Number(counted.sessions), unfinishedSessionId: unfinished?.id ?? null };
}

/** Deletes every session of the owner's subject and their running stretches; returns how many sessions. */
export async function deleteSubjectSessions(trx: Transaction<Database>, owner: { userId: string; subjectId: string }): Promise<number> {
  return deleteOwnedSessions(trx, owner.userId, { subject: owner.subjectId });
}

/** Filters and keyset position for {@link listSessions}. */
export interface SessionPageQuery {
  userId: string;
  limit: number;
  after?: { startedAt: Date; id: string };
  subjectId?: string;
  status?: SessionStatusValue;
  /** Sessions started at or after this instant. */
  startedFrom?: Date;
  /** Sessions started before this instant. */
  startedBefore?: Date;
}

/** A page of the owner's sessions, newest first (by start, then id), after the given position. */
export async function listSessions(db: Db, q: SessionPageQuery): Promise<SessionRecord[]> {
  let query = selectSessions(db).where('s.user_id', '=', q.userId);
  if (q.subjectId) query = query.where('s.subject_id', '=', q.subjectId);
  if (q.status) query = query.where('s.status', '=', q.status);
  if (q.startedFrom) query = query.where('s.started_at', '>=', q.startedFrom);
  if (q.startedBefore) query = query.where('s.started_at', '<', q.startedBefore);
  if (q.after) {
    const { startedAt, id } = q.after;
    query = query.where((eb) => eb(eb.refTuple('s.started_at', 's.id'), '<', eb.tuple(startedAt, id)));
  }
  const rows = await query.orderBy('s.started_at', 'desc').orderBy('s.id', 'desc').limit(q.limit).execute();
  return rows.map(toRecord);
}

/**
 * RUNNING sessions with a plan (POMODORO or BREAK) that is used up as of `now` (a superset
 * check; the caller settles each with the pure timer arithmetic). Optionally for one owner only.
 * "Has a plan" rather than a list of types, so that `study_sessions_running_planned_idx` answers.
 */
export async function findExpiredSessions(
  db: Db,
  now: Date,
  options: { userId?: string; sessionId?: string; limit: number },
): Promise<SessionRecord[]> {
  let query = selectSessions(db)
    .where('s.status', '=', 'RUNNING')
    .where('s.focus_seconds', 'is not', null)
    .where(sql<boolean>`s.run_started_at + (s.focus_seconds * 1000 - s.accumulated_ms) * interval '1 millisecond' <= ${now}`);
  if (options.userId) query = query.where('s.user_id', '=', options.userId);
  if (options.sessionId) query = query.where('s.id', '=', options.sessionId);
  const rows = await query.orderBy('s.run_started_at').limit(options.limit).execute();
  return rows.map(toRecord);
}

/**
 * The sessions with these ids, and the unfinished session of each of these users: what one
 * instance's subscribers watch, read in one indexed query (primary key, and the partial index
 * of unfinished sessions per user) to reconcile them with what they were last sent.
 */
export async function findWatchedSessions(db: Db, watched: { sessionIds: string[]; userIds: string[] }): Promise<SessionRecord[]> {
  if (watched.sessionIds.length === 0 && watched.userIds.length === 0) return [];
  const rows = await selectSessions(db)
    .where((eb) =>
      eb.or([
        ...(watched.sessionIds.length > 0 ? [eb('s.id', '=', eb.fn.any(eb.val(watched.sessionIds)))] : []),
        ...(watched.userIds.length > 0
          ? [eb.and([eb('s.user_id', '=', eb.fn.any(eb.val(watched.userIds))), eb('s.status', 'in', ['RUNNING', 'PAUSED'])])]
          : []),
      ]),
    )
    .execute();
  return rows.map(toRecord);
}

/** What the break after a pomodoro depends on: how many the student completed that local day, and their break settings. */
export interface PomodoroDay {
  /** COMPLETED POMODOROs ended from the local midnight before `at` up to `at` included (less the one excluded). */
  completed: number;
  breaks: BreakSettings;
}

/**
 * The student's pomodoros completed on the local day of `at` (in their time zone; UTC when they
 * have chosen none) up to `at`, leaving `excludeSessionId` out, and their break settings;
 * undefined when the user does not exist. The day begins at the zone's local midnight, found by
 * PostgreSQL's zone rules as the statistics find it.
 */
export async function findPomodoroDay(
  db: Db,
  q: { userId: string; at: Date; excludeSessionId?: string },
): Promise<PomodoroDay | undefined> {
  const { rows } = await sql<{ completed: number; short_break_minutes: number; long_break_minutes: number; long_break_every: number }>`
    select u.short_break_minutes, u.long_break_minutes, u.long_break_every,
      (
        select count(*)::int from study_sessions s
        where s.user_id = u.id and s.status = 'COMPLETED' and s.type = 'POMODORO'
          and s.ended_at >= (date_trunc('day', ${q.at}::timestamptz at time zone coalesce(u.time_zone, 'UTC')) at time zone coalesce(u.time_zone, 'UTC'))
          and s.ended_at <= ${q.at}::timestamptz
          and s.id is distinct from ${q.excludeSessionId ?? null}::uuid
      ) as completed
    from users u where u.id = ${q.userId}
  `.execute(db);
  const row = rows[0];
  return row && { completed: row.completed, breaks: toBreakSettings(row) };
}
