import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/failures.js';
import { AppError, badInput, subjectNotFound } from '../errors.js';
import { parseId } from '../ids.js';
import { deleteSubjectSessions, subjectSessionUsage } from '../sessions/session.repository.js';
import type { SessionService } from '../sessions/session.service.js';
import { type Subject, toSubject } from './subject.model.js';
import {
  deleteSubjectForOwner,
  findSubjectForOwner,
  insertSubject,
  listSubjects,
  setSubjectArchived,
  type SubjectChanges,
  updateSubject,
} from './subject.repository.js';
import type { SubjectRow } from './subject.table.js';

export const SUBJECT_NAME_MAX_LENGTH = 80;

const NAME_INDEX = 'subjects_user_name_key';
const COLOR = /^#[0-9a-f]{6}$/i;

/** The fields `updateSubject` may change: an omitted one stays as it is. */
export interface SubjectUpdate {
  /** A new name (the rules of {@link SubjectService.create}); null is refused: a subject always has one. */
  name?: string | null;
  /** `#rrggbb` (either case); null clears it. */
  color?: string | null;
}

/**
 * Subjects of one student: creating, listing, renaming, colouring, archiving and deleting them.
 * Every query names the owner, so a foreign id and a missing id both end in NOT_FOUND without
 * touching anything.
 */
export class SubjectService {
  // created_at comes from the database (microsecond precision) rather than the injected clock:
  // it orders the list and has no timer arithmetic depending on it. archived_at is shown to the
  // student and tested at exact instants: it comes from the clock.
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly sessions: Pick<SessionService, 'completeExpired'>,
  ) {}

  /**
   * Creates a subject. BAD_USER_INPUT for an empty (after trimming) or over-long name or a
   * colour that is not `#rrggbb`; SUBJECT_NAME_TAKEN when the student already has one by that
   * name (case-insensitively, archived ones included).
   */
  async create(userId: string, input: { name: string; color?: string | null }): Promise<Subject> {
    const name = subjectName(input.name);
    const color = input.color == null ? null : subjectColor(input.color);
    return toSubject(await nameTaken(() => insertSubject(this.db, { id: randomUUID(), userId, name, color })));
  }

  /** The student's subjects, oldest first; archived ones only with `includeArchived`. */
  async list(userId: string, options: { includeArchived?: boolean | null } = {}): Promise<Subject[]> {
    return (await listSubjects(this.db, userId, { includeArchived: options.includeArchived ?? false })).map(toSubject);
  }

  /** Renames a subject: {@link update} with a name only. */
  rename(userId: string, subjectId: string, name: string): Promise<Subject> {
    return this.update(userId, subjectId, { name });
  }

  /**
   * Changes a subject's name and/or colour, archived or not. BAD_USER_INPUT (extensions.field)
   * for a malformed id, a name `create` would refuse or null, a malformed colour; NOT_FOUND for
   * a foreign or missing subject; SUBJECT_NAME_TAKEN for a name another of the student's
   * subjects has (its own name in another case is fine). Nothing is written on a refusal.
   */
  async update(userId: string, rawId: string, input: SubjectUpdate): Promise<Subject> {
    const subjectId = parseId('id', rawId);
    const changes: SubjectChanges = {};
    if (input.name !== undefined) {
      if (input.name === null) throw badInput('name', 'name must not be null');
      changes.name = subjectName(input.name);
    }
    if (input.color !== undefined) changes.color = input.color === null ? null : subjectColor(input.color);
    const row = await nameTaken(() => updateSubject(this.db, { userId, subjectId }, changes));
    if (!row) throw subjectNotFound();
    return toSubject(row);
  }

  /**
   * Archives a subject: it starts no new session (SUBJECT_ARCHIVED) and `subjects` leaves it out
   * unless asked, but its sessions, their history and statistics stay. Archiving an archived
   * subject changes nothing (its `archivedAt` stays the first). NOT_FOUND for a foreign or
   * missing subject.
   */
  archive(userId: string, subjectId: string): Promise<Subject> {
    return this.#setArchived(userId, subjectId, this.clock.now());
  }

  /** Undoes {@link archive}; a subject in use is returned as it is. NOT_FOUND for a foreign or missing subject. */
  unarchive(userId: string, subjectId: string): Promise<Subject> {
    return this.#setArchived(userId, subjectId, null);
  }

  /**
   * Deletes a subject and returns its id. One that has sessions is refused with SUBJECT_IN_USE
   * (extensions.sessions: how many) unless `deleteSessions`, which deletes them and their
   * history in the same transaction; that is refused with SESSION_ACTIVE
   * (extensions.sessionId) while one of them is RUNNING or PAUSED (a POMODORO whose time ran
   * out is finished, not active). NOT_FOUND for a foreign or missing subject. Either everything
   * is deleted or nothing is.
   */
  async delete(userId: string, rawId: string, options: { deleteSessions?: boolean | null } = {}): Promise<string> {
    const subjectId = parseId('id', rawId);
    const owner = { userId, subjectId };
    const deleteSessions = options.deleteSessions ?? false;
    // Stored as COMPLETED first (and told to its subscribers), so that it does not count as active.
    if (deleteSessions) await this.sessions.completeExpired(this.clock.now(), { userId });
    await this.db.transaction().execute(async (trx) => {
      // Locked: a session being started on it (which holds a share lock from its check to its
      // commit) is either seen below or refused NOT_FOUND, never deleted unseen by the cascade.
      if (!(await findSubjectForOwner(trx, owner, { lock: 'update' }))) throw subjectNotFound();
      const usage = await subjectSessionUsage(trx, owner);
      if (usage.sessions > 0) {
        if (!deleteSessions) throw new AppError('SUBJECT_IN_USE', undefined, { sessions: usage.sessions });
        if (usage.unfinishedSessionId) throw new AppError('SESSION_ACTIVE', undefined, { sessionId: usage.unfinishedSessionId });
        await deleteSubjectSessions(trx, owner);
      }
      await deleteSubjectForOwner(trx, owner);
    });
    return subjectId;
  }

  async #setArchived(userId: string, rawId: string, at: Date | null): Promise<Subject> {
    const subjectId = parseId('id', rawId);
    const row = await setSubjectArchived(this.db, { userId, subjectId }, at);
    if (!row) throw subjectNotFound();
    return toSubject(row);
  }
}

/** A subject name as stored: trimmed, inner whitespace collapsed. BAD_USER_INPUT (field `name`) otherwise. */
function subjectName(raw: string): string {
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0) throw badInput('name', 'name must not be empty');
  if (/\p{Cc}/u.test(name)) throw badInput('name', 'name must not contain control characters');
  if ([...name].length > SUBJECT_NAME_MAX_LENGTH) {
    throw badInput('name', `name must be at most ${SUBJECT_NAME_MAX_LENGTH} characters`);
  }
  return name;
}

/** A colour as stored: `#rrggbb` in lower case. BAD_USER_INPUT (field `color`) otherwise. */
function subjectColor(raw: string): string {
  if (!COLOR.test(raw)) throw badInput('color', 'color must be #rrggbb (six hexadecimal digits)');
  return raw.toLowerCase();
}

/** Runs a write, turning a duplicate name into SUBJECT_NAME_TAKEN. */
async function nameTaken<T extends SubjectRow | undefined>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err, NAME_INDEX)) throw new AppError('SUBJECT_NAME_TAKEN');
    throw err;
  }
}
