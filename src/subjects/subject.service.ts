import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/failures.js';
import { AppError, badInput } from '../errors.js';
import { type Subject, toSubject } from './subject.model.js';
import { insertSubject, listSubjects } from './subject.repository.js';

export const SUBJECT_NAME_MAX_LENGTH = 80;

/** Subjects of one student. */
export class SubjectService {
  // created_at comes from the database (microsecond precision) rather than the injected clock:
  // it orders the list and has no timer arithmetic depending on it.
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Creates a subject. BAD_USER_INPUT for an empty (after trimming) or over-long name,
   * SUBJECT_NAME_TAKEN when the student already has one by that name (case-insensitively).
   */
  async create(userId: string, input: { name: string }): Promise<Subject> {
    const name = input.name.trim().replace(/\s+/g, ' ');
    if (name.length === 0) throw badInput('name', 'name must not be empty');
    if (/\p{Cc}/u.test(name)) throw badInput('name', 'name must not contain control characters');
    if ([...name].length > SUBJECT_NAME_MAX_LENGTH) {
      throw badInput('name', `name must be at most ${SUBJECT_NAME_MAX_LENGTH} characters`);
    }
    try {
      return toSubject(await insertSubject(this.db, { id: randomUUID(), userId, name }));
    } catch (err) {
      if (isUniqueViolation(err, 'subjects_user_name_key')) throw new AppError('SUBJECT_NAME_TAKEN');
      throw err;
    }
  }

  /** The student's subjects, oldest first. */
  async list(userId: string): Promise<Subject[]> {
    return (await listSubjects(this.db, userId)).map(toSubject);
  }
}
