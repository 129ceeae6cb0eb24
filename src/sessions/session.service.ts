import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/failures.js';
import { ReadBatcher } from '../db/read-batcher.js';
import { AppError, badInput, sessionNotFound, subjectNotFound } from '../errors.js';
import { isUuid, parseId } from '../ids.js';
import { findSubjectForOwner } from '../subjects/subject.repository.js';
import { toSubject } from '../subjects/subject.model.js';
import { BREAK_MINUTES, type BreakSuggestion, suggestBreak } from './break.js';
import { type SessionRecord, type StudySession, viewSession } from './session.model.js';
import {
  deleteSessionForOwner,
  findActiveSession,
  findExpiredSessions,
  findPomodoroDay,
  findSessionForOwner,
  findSessionsForOwners,
  findWatchedSessions,
  insertSession,
  listSessions,
  updateNote,
  updateTimer,
} from './session.repository.js';
import type { SessionStatusValue, SessionTypeValue } from './session.table.js';
import { applyAction, isFinished, settle, startedTimer, type TimerAction } from './timer.js';

/** Bounds of `focusMinutes` for POMODORO sessions, and the default when it is omitted. */
export const FOCUS_MINUTES = { min: 1, max: 180, default: 25 } as const;
/** Bounds of `first` for session pages, and the default when it is omitted. */
export const PAGE_SIZE = { min: 1, max: 100, default: 20 } as const;
/** Most characters (Unicode code points, as PostgreSQL's char_length counts) of a session's note. */
export const NOTE_MAX_LENGTH = 2_000;

const ACTIVE_INDEX = 'study_sessions_one_active_per_user';

/** Told about every state a session is written in, after the write is committed. */
export interface SessionChangeListener {
  sessionChanged(session: StudySession): void;
}

/** What the session service is wired to, given at construction. */
export interface SessionServiceHooks {
  /** Hears about committed changes (the live timer feed). */
  changes: SessionChangeListener;
  /**
   * Background completion skips students for whom this is true: those whose last connection
   * just went away and whose pause (counting time only up to that instant) is pending. Without
   * this a POMODORO running out during the grace would be completed with time the student was
   * not there for.
   */
  completionDeferred: (userId: string) => boolean;
}

/** A page of sessions in the shape of a GraphQL cursor connection. */
export interface SessionPage {
  edges: { cursor: string; node: StudySession }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * The rules of study sessions: starting, the pause/resume/stop transitions, timer arithmetic
 * (delegated to the pure functions in `timer.ts`) and ownership. Every query names the owner,
 * so a foreign id and a missing id both end in NOT_FOUND without touching anything.
 */
export class SessionService {
  /** {@link get}'s reads: the subscribes of a reconnect burst read their sessions in one query. */
  readonly #owned: ReadBatcher<{ userId: string; sessionId: string }, SessionRecord>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly hooks: SessionServiceHooks,
  ) {
    this.#owned = new ReadBatcher((owners) => findSessionsForOwners(db, owners));
  }

  /**
   * Starts a RUNNING session. BAD_USER_INPUT for a malformed subject id, out-of-range
   * `focusMinutes` or `breakMinutes`, or either given to a type it does not apply to
   * (`focusMinutes`: POMODORO only, `breakMinutes`: BREAK only); NOT_FOUND for a foreign or
   * missing subject, SUBJECT_ARCHIVED for an archived one, SESSION_ALREADY_ACTIVE
   * (extensions.activeSessionId) when one is RUNNING or PAUSED, whatever the types. A BREAK
   * without `breakMinutes` is as long as {@link nextBreak} says, counted once any expired
   * session has been completed.
   */
  async start(
    userId: string,
    input: { subjectId: string; type: SessionTypeValue; focusMinutes?: number | null; breakMinutes?: number | null },
  ): Promise<StudySession> {
    const subjectId = parseId('subjectId', input.subjectId);
    const planned = plannedSeconds(input.type, input);
    const now = this.clock.now();
    const id = randomUUID();
    try {
      const record = await this.db.transaction().execute(async (trx) => {
        // Share-locked until the session is committed: a concurrent deleteSubject waits, and
        // then sees this session; an archive waits too, so it either refuses this start or
        // comes after it.
        const subject = await findSubjectForOwner(trx, { userId, subjectId }, { lock: 'share' });
        if (!subject) throw subjectNotFound();
        if (subject.archived_at) throw new AppError('SUBJECT_ARCHIVED');
        const active = await this.#settleActive(trx, userId, now);
        if (active) throw alreadyActive(active.id);
        const focusSeconds = planned === 'suggested' ? (await this.#suggestion(trx, userId, now)).minutes * 60 : planned;
        const timer = startedTimer(input.type, focusSeconds, now);
        await insertSession(trx, { id, userId, subjectId, startedAt: now, timer });
        return { id, userId, subject: toSubject(subject), startedAt: now, timer, version: 1, note: null } satisfies SessionRecord;
      });
      return this.#changed(viewSession(record, now));
    } catch (err) {
      // Two starts racing past the check above: the partial unique index stops the second.
      if (isUniqueViolation(err, ACTIVE_INDEX)) {
        const active = await findActiveSession(this.db, userId);
        throw alreadyActive(active?.id);
      }
      throw err;
    }
  }

  /** Pauses a RUNNING session. NOT_FOUND / INVALID_SESSION_STATE as for every transition. */
  pause(userId: string, sessionId: string): Promise<StudySession> {
    return this.#transition(userId, sessionId, { kind: 'pause', reason: 'USER' });
  }

  /** Resumes a PAUSED session. */
  resume(userId: string, sessionId: string): Promise<StudySession> {
    return this.#transition(userId, sessionId, { kind: 'resume' });
  }

  /**
   * Stops a RUNNING or PAUSED session for good. With `note` (see {@link setNote}: null clears)
   * the note is written with the stop, in the same transaction; omitted, it stays as it is.
   * BAD_USER_INPUT for a note {@link setNote} refuses, before anything else is looked at; a
   * refused stop (INVALID_SESSION_STATE) writes no note either.
   */
  stop(userId: string, sessionId: string, options: { note?: string | null } = {}): Promise<StudySession> {
    const changes = 'note' in options ? { note: sessionNote(options.note ?? null) } : {};
    return this.#transition(userId, sessionId, { kind: 'stop' }, changes);
  }

  /**
   * Sets the note of one of the student's sessions, whatever its status; null (or only
   * whitespace) clears it. BAD_USER_INPUT (field `note`) for more than
   * {@link NOTE_MAX_LENGTH} characters or a control character other than tab and line breaks;
   * NOT_FOUND for a foreign or missing session. The live feeds hear the change while the session
   * is RUNNING or PAUSED (a finished one has no live subscriber left).
   */
  async setNote(userId: string, rawId: string, note: string | null): Promise<StudySession> {
    const sessionId = parseId('id', rawId);
    const value = sessionNote(note);
    const now = this.clock.now();
    const written = await this.db.transaction().execute(async (trx) => {
      const record = await findSessionForOwner(trx, { userId, sessionId }, { forUpdate: true });
      if (!record) throw sessionNotFound();
      const version = await updateNote(trx, { userId, sessionId }, value);
      // The row is locked and owned: it cannot have gone in between.
      if (version === null) throw sessionNotFound();
      return { ...record, note: value, version };
    });
    const view = this.#view(written, now);
    return isFinished(view.status) ? view : this.#changed(view);
  }

  /**
   * Deletes one of the student's finished (COMPLETED or STOPPED) sessions with its history, so
   * that it leaves `sessions` and statistics; returns its id. SESSION_ACTIVE
   * (extensions.sessionId) for a RUNNING or PAUSED one (a POMODORO whose time ran out is
   * finished); NOT_FOUND for a foreign or missing one. A refusal deletes nothing.
   */
  async delete(userId: string, rawId: string): Promise<string> {
    const sessionId = parseId('id', rawId);
    const now = this.clock.now();
    const completed = await this.db.transaction().execute(async (trx) => {
      const record = await findSessionForOwner(trx, { userId, sessionId }, { forUpdate: true });
      if (!record) throw sessionNotFound();
      const timer = this.hooks.completionDeferred(userId) ? record.timer : settle(record.timer, now);
      if (!isFinished(timer.status)) throw new AppError('SESSION_ACTIVE', undefined, { sessionId });
      await deleteSessionForOwner(trx, { userId, sessionId });
      // Found expired: it completed before it was deleted.
      return timer === record.timer ? undefined : { ...record, timer, version: record.version + 1 };
    });
    // Its `timerUpdated` subscribers get its final state and end, as after any completion.
    if (completed) this.#changed(viewSession(completed, now));
    return sessionId;
  }

  /** One of the student's sessions. BAD_USER_INPUT for a malformed id, NOT_FOUND for a foreign or missing one. */
  async get(userId: string, sessionId: string): Promise<StudySession> {
    const id = parseId('id', sessionId);
    const record = await this.#owned.load({ userId, sessionId: id });
    if (!record) throw sessionNotFound();
    return this.#view(record, this.clock.now());
  }

  /** The student's RUNNING or PAUSED session, if any. */
  async active(userId: string): Promise<StudySession | null> {
    const now = this.clock.now();
    await this.completeExpired(now, { userId });
    const record = await findActiveSession(this.db, userId);
    return record ? this.#view(record, now) : null;
  }

  /**
   * A page of the student's sessions, newest first; with `from` and/or `to`, only those started
   * at or after `from` and before `to`. BAD_USER_INPUT for `first` out of range, a malformed
   * cursor or subject id, `from` after `to`, or an instant outside the years 1 to 9999.
   */
  async list(
    userId: string,
    args: {
      first?: number | null;
      after?: string | null;
      subjectId?: string | null;
      status?: SessionStatusValue | null;
      from?: Date | null;
      to?: Date | null;
    },
  ): Promise<SessionPage> {
    const first = args.first ?? PAGE_SIZE.default;
    if (!Number.isInteger(first) || first < PAGE_SIZE.min || first > PAGE_SIZE.max) {
      throw badInput('first', `first must be between ${PAGE_SIZE.min} and ${PAGE_SIZE.max}`);
    }
    const from = args.from != null ? storableInstant('from', args.from) : undefined;
    const to = args.to != null ? storableInstant('to', args.to) : undefined;
    if (from && to && from > to) throw badInput('to', 'to must not be before from');
    // An empty string is a malformed value, not an absent one.
    const after = args.after != null ? decodeCursor(args.after) : undefined;
    const subjectId = args.subjectId != null ? parseId('subjectId', args.subjectId) : undefined;
    const now = this.clock.now();
    // Persist any expired POMODORO first so that a status filter sees the true status.
    await this.completeExpired(now, { userId });
    const records = await listSessions(this.db, {
      userId,
      limit: first + 1,
      ...(after && { after }),
      ...(subjectId && { subjectId }),
      ...(args.status && { status: args.status }),
      ...(from && { startedFrom: from }),
      ...(to && { startedBefore: to }),
    });
    const edges = records.slice(0, first).map((r) => ({ cursor: encodeCursor(r), node: this.#view(r, now) }));
    return {
      edges,
      pageInfo: { hasNextPage: records.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /**
   * The break the student should take now: the one after their latest completed pomodoro of
   * today (their time zone; UTC without one), the SHORT one when they have completed none today.
   * It does not look at breaks taken since. Completes expired sessions first, so a pomodoro
   * that has just run out counts.
   */
  async nextBreak(userId: string): Promise<BreakSuggestion> {
    const now = this.clock.now();
    await this.completeExpired(now, { userId });
    return this.#suggestion(this.db, userId, now);
  }

  /**
   * The break to take after `session` if it is a COMPLETED POMODORO (the long one when it is a
   * `longBreakEvery`-th completed pomodoro of its local day, by completion instant), else null.
   * The student's current settings and time zone apply.
   */
  async breakAfter(session: StudySession): Promise<BreakSuggestion | null> {
    if (session.type !== 'POMODORO' || session.status !== 'COMPLETED' || !session.endedAt) return null;
    // The session itself is counted here rather than read back: a view settles an expired
    // POMODORO before its row is written (see viewSession).
    const day = await findPomodoroDay(this.db, { userId: session.userId, at: session.endedAt, excludeSessionId: session.id });
    if (!day) throw new AppError('UNAUTHENTICATED');
    return suggestBreak(day.completed + 1, day.breaks);
  }

  /**
   * Marks RUNNING sessions with a plan (POMODORO or BREAK) whose plan ran out by `now` as
   * COMPLETED, each at its exact completion instant, and returns them. Safe to run concurrently
   * with anything: each write is a compare-and-set on the state it read.
   */
  async completeExpired(
    now: Date,
    options: { userId?: string; sessionId?: string; limit?: number } = {},
  ): Promise<StudySession[]> {
    const candidates = await findExpiredSessions(this.db, now, { limit: options.limit ?? 500, ...options });
    const completed: StudySession[] = [];
    for (const record of candidates) {
      if (this.hooks.completionDeferred(record.userId)) continue;
      const timer = settle(record.timer, now);
      if (timer === record.timer) continue;
      // The state change and the end of its running stretch are one statement.
      const version = await updateTimer(this.db, record, timer);
      if (version !== null) completed.push(this.#changed(viewSession({ ...record, timer, version }, now)));
    }
    return completed;
  }

  /**
   * Pauses the student's RUNNING session because their last connection went away at `lostAt`:
   * time is counted up to `lostAt` (or the start of the current run, if that is later), and
   * `pausedReason` is DISCONNECT. A POMODORO that ran out before `lostAt` is completed instead.
   * Returns the session as written, or null when nothing was running. In a cluster `lostAt` is
   * a claim run first in the same transaction (it takes the student's presence lock and resolves
   * the instant, or null when they are back), so that the decision and the pause are one.
   */
  async pauseForDisconnect(userId: string, lostAt: Date | ((trx: Transaction<Database>) => Promise<Date | null>)): Promise<StudySession | null> {
    const now = this.clock.now();
    const written = await this.db.transaction().execute(async (trx) => {
      const claimed = lostAt instanceof Date ? lostAt : await lostAt(trx);
      if (!claimed) return null;
      const active = await findActiveSession(trx, userId, { forUpdate: true });
      if (!active || active.timer.status !== 'RUNNING' || !active.timer.runStartedAt) return null;
      const at = new Date(Math.min(now.getTime(), Math.max(claimed.getTime(), active.timer.runStartedAt.getTime())));
      const settled = settle(active.timer, at);
      const next = applyAction(settled, { kind: 'pause', reason: 'DISCONNECT' }, at) ?? settled;
      const version = await updateTimer(trx, active, next);
      return version === null ? null : { ...active, timer: next, version };
    });
    return written && this.#changed(viewSession(written, now));
  }

  /**
   * The stored state of the sessions with these ids and of the unfinished sessions of these
   * users, as of now: what the cluster feeds its local subscribers after hearing of a change
   * elsewhere, or to reconcile them. No ownership check: the callers are the server's own.
   */
  async watched(watched: { sessionIds: string[]; userIds: string[] }): Promise<StudySession[]> {
    const now = this.clock.now();
    return (await findWatchedSessions(this.db, watched)).map((record) => this.#view(record, now));
  }

  /** The suggestion for a break started at `now`, after the pomodoros completed today up to then. */
  async #suggestion(db: Kysely<Database> | Transaction<Database>, userId: string, now: Date): Promise<BreakSuggestion> {
    const day = await findPomodoroDay(db, { userId, at: now });
    if (!day) throw new AppError('UNAUTHENTICATED');
    return suggestBreak(day.completed, day.breaks);
  }

  /** A read-only view: not settled while the owner's disconnect pause is pending. */
  #view(record: SessionRecord, now: Date): StudySession {
    return viewSession(record, now, !this.hooks.completionDeferred(record.userId));
  }

  #changed(session: StudySession): StudySession {
    this.hooks.changes.sessionChanged(session);
    return session;
  }

  /** Locks the student's unfinished session, completing it first if its plan ran out. */
  async #settleActive(trx: Transaction<Database>, userId: string, now: Date): Promise<SessionRecord | undefined> {
    const active = await findActiveSession(trx, userId, { forUpdate: true });
    if (!active) return undefined;
    const timer = settle(active.timer, now);
    if (timer === active.timer) return active;
    const version = await updateTimer(trx, active, timer);
    // Published before the surrounding transaction commits; it only ever completes a session
    // whose time is up, which is what every reader already shows (see viewSession).
    if (version !== null) this.#changed(viewSession({ ...active, timer, version }, now));
    return undefined;
  }

  /**
   * Applies `action`; `changes` (a note) are written with it, and only if it is allowed.
   * Optimistic first: the session is read, then written by one compare-and-set statement, with
   * no transaction and nothing held between the round trips (two instead of five). A session
   * that changed in between is read again; after {@link OPTIMISTIC_ATTEMPTS} its row is locked
   * for the last try, which cannot lose.
   */
  async #transition(userId: string, rawId: string, action: TimerAction, changes: { note?: string | null } = {}): Promise<StudySession> {
    const sessionId = parseId('sessionId', rawId);
    const now = this.clock.now();
    let outcome: TransitionOutcome | undefined;
    for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS && !outcome; attempt++) {
      outcome = await this.#tryTransition(this.db, { userId, sessionId }, action, changes, now);
    }
    outcome ??= await this.db.transaction().execute(async (trx) => {
      const locked = await this.#tryTransition(trx, { userId, sessionId }, action, changes, now, { forUpdate: true });
      if (!locked) throw new Error(`session ${sessionId} changed under its row lock`);
      return locked;
    });
    const view = outcome.stored && this.#changed(viewSession(outcome.stored, now));
    if ('error' in outcome) throw outcome.error;
    return view!;
  }

  /** One try of {@link #transition}: undefined when the session changed since it was read (nothing written). */
  async #tryTransition(
    db: Kysely<Database> | Transaction<Database>,
    owner: { userId: string; sessionId: string },
    action: TimerAction,
    changes: { note?: string | null },
    now: Date,
    options: { forUpdate?: boolean } = {},
  ): Promise<TransitionOutcome | undefined> {
    const record = await findSessionForOwner(db, owner, options);
    if (!record) return { error: sessionNotFound() };
    const settled = settle(record.timer, now);
    const next = applyAction(settled, action, now);
    const written = next ?? settled;
    // A POMODORO found expired is persisted as COMPLETED even when the action itself is refused.
    const version = written === record.timer ? record.version : await updateTimer(db, record, written, next ? changes : {});
    if (version === null) return undefined;
    const note = next && 'note' in changes ? (changes.note ?? null) : record.note;
    const stored = version === record.version ? undefined : { ...record, timer: written, version, note };
    if (!next) {
      const error = new AppError('INVALID_SESSION_STATE', `Cannot ${action.kind} a session that is ${settled.status}`, {
        status: settled.status,
      });
      return { error, stored };
    }
    return { stored: stored ?? { ...record, timer: next } };
  }
}

/** Optimistic tries of a transition before its row is locked: enough for any burst a student's own devices make. */
const OPTIMISTIC_ATTEMPTS = 3;

/** What a transition did: the session as stored (when it wrote, or as read), or the refusal, with what it wrote anyway. */
type TransitionOutcome = { stored: SessionRecord } | { error: AppError; stored?: SessionRecord };

/**
 * A note as stored: null for none (null, or only whitespace), else as given. BAD_USER_INPUT
 * (field `note`) beyond {@link NOTE_MAX_LENGTH} code points, or for a control character other
 * than tab, line feed and carriage return (PostgreSQL's text cannot hold NUL at all).
 */
function sessionNote(note: string | null): string | null {
  if (note === null || note.trim().length === 0) return null;
  if ([...note].length > NOTE_MAX_LENGTH) throw badInput('note', `note must be at most ${NOTE_MAX_LENGTH} characters`);
  if (/[^\P{Cc}\t\n\r]/u.test(note)) throw badInput('note', 'note must not contain control characters other than tabs and line breaks');
  return note;
}

/** `value` when PostgreSQL can store it (years 1 to 9999); BAD_USER_INPUT naming `field` otherwise. */
function storableInstant(field: string, value: Date): Date {
  const year = value.getUTCFullYear();
  if (Number.isNaN(year) || year < 1 || year > 9999) throw badInput(field, `${field} must be between the years 1 and 9999`);
  return value;
}

function alreadyActive(activeSessionId: string | undefined): AppError {
  return new AppError('SESSION_ALREADY_ACTIVE', undefined, { activeSessionId: activeSessionId ?? null });
}

/**
 * The plan in seconds of a new session (null for FREE; `suggested` for a BREAK whose length is
 * the student's suggestion), validating `focusMinutes` and `breakMinutes` before anything is read.
 */
function plannedSeconds(
  type: SessionTypeValue,
  { focusMinutes, breakMinutes }: { focusMinutes?: number | null; breakMinutes?: number | null },
): number | null | 'suggested' {
  if (type !== 'POMODORO' && focusMinutes != null) throw badInput('focusMinutes', 'focusMinutes applies to POMODORO sessions only');
  if (type !== 'BREAK' && breakMinutes != null) throw badInput('breakMinutes', 'breakMinutes applies to BREAK sessions only');
  if (type === 'FREE') return null;
  if (type === 'BREAK') {
    if (breakMinutes == null) return 'suggested';
    if (!Number.isInteger(breakMinutes) || breakMinutes < BREAK_MINUTES.min || breakMinutes > BREAK_MINUTES.max) {
      throw badInput('breakMinutes', `breakMinutes must be between ${BREAK_MINUTES.min} and ${BREAK_MINUTES.max}`);
    }
    return breakMinutes * 60;
  }
  const minutes = focusMinutes ?? FOCUS_MINUTES.default;
  if (!Number.isInteger(minutes) || minutes < FOCUS_MINUTES.min || minutes > FOCUS_MINUTES.max) {
    throw badInput('focusMinutes', `focusMinutes must be between ${FOCUS_MINUTES.min} and ${FOCUS_MINUTES.max}`);
  }
  return minutes * 60;
}

/** Opaque page cursor: the keyset position (start instant, id) of a session. */
export function encodeCursor(record: { startedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([record.startedAt.toISOString(), record.id])).toString('base64url');
}

/** Inverse of {@link encodeCursor}; BAD_USER_INPUT (field `after`) for anything it did not produce. */
export function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const startedAt = new Date(value[0]);
      // Only instants this server could have written: canonical ISO form, years 1 to 9999
      // (outside that PostgreSQL refuses the value and the query would fail).
      const year = startedAt.getUTCFullYear();
      if (!Number.isNaN(year) && year >= 1 && year <= 9999 && isUuid(value[1])) {
        const position = { startedAt, id: value[1] };
        // Round trip: a cursor decodes only if it is exactly what encodeCursor writes.
        if (encodeCursor(position) === cursor) return position;
      }
    }
  } catch {
    // fall through to the error below
  }
  throw badInput('after', 'after is not a valid cursor');
}
