import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { SubjectRow } from './subject.table.js';

/** Inserts a subject. Throws unique_violation (index `subjects_user_name_key`) for a duplicate name. */
export async function insertSubject(
  db: Kysely<Database>,
  subject: { id: string; userId: string; name: string },
): Promise<SubjectRow> {
  return db
    .insertInto('subjects')
    .values({ id: subject.id, user_id: subject.userId, name: subject.name })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The owner's subjects, oldest first. */
export async function listSubjects(db: Kysely<Database>, userId: string): Promise<SubjectRow[]> {
  return db
    .selectFrom('subjects')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('created_seq')
    .execute();
}

/** The subject with this id if and only if `userId` owns it. */
export async function findSubjectForOwner(
  db: Kysely<Database>,
  owner: { userId: string; subjectId: string },
): Promise<SubjectRow | undefined> {
  return db
    .selectFrom('subjects')
    .selectAll()
    .where('id', '=', owner.subjectId)
    .where('user_id', '=', owner.userId)
    .executeTakeFirst();
}
