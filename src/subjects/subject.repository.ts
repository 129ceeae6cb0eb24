import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { SubjectRow } from './subject.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Inserts a subject. Throws unique_violation (index `subjects_user_name_key`) for a duplicate name. */
export async function insertSubject(
  db: Db,
  subject: { id: string; userId: string; name: string; color: string | null },
): Promise<SubjectRow> {
  return db
    .insertInto('subjects')
    .values({ id: subject.id, user_id: subject.userId, name: subject.name, color: subject.color })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The owner's subjects, oldest first; archived ones only with `includeArchived`. */
export async function listSubjects(db: Db, userId: string, options: { includeArchived?: boolean } = {}): Promise<SubjectRow[]> {
  let query = db.selectFrom('subjects').selectAll().where('user_id', '=', userId);
  if (!options.includeArchived) query = query.where('archived_at', 'is', null);
  return query.orderBy('created_at').orderBy('created_seq').execute();
}

/**
 * The subject with this id if and only if `userId` owns it. `lock`: `share` holds it (until the
 * surrounding transaction ends) against a concurrent deletion, archive or rename, `update`
 * against anything that shares or changes it (a session being started on it included).
 */
export async function findSubjectForOwner(
  db: Db,
  owner: { userId: string; subjectId: string },
  options: { lock?: 'share' | 'update' } = {},
): Promise<SubjectRow | undefined> {
  let query = db.selectFrom('subjects').selectAll().where('id', '=', owner.subjectId).where('user_id', '=', owner.userId);
  if (options.lock === 'share') query = query.forShare();
  if (options.lock === 'update') query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The columns of a subject that change after it is created. */
export interface SubjectChanges {
  name?: string;
  color?: string | null;
}

/**
 * Changes the owner's subject and returns it as written (as it is, for no change); undefined,
 * and nothing written, for a foreign or missing one. Throws unique_violation
 * (`subjects_user_name_key`) for a name the owner already uses.
 */
export async function updateSubject(
  db: Db,
  owner: { userId: string; subjectId: string },
  changes: SubjectChanges,
): Promise<SubjectRow | undefined> {
  if (Object.keys(changes).length === 0) return findSubjectForOwner(db, owner);
  return db
    .updateTable('subjects')
    .set(changes)
    .where('id', '=', owner.subjectId)
    .where('user_id', '=', owner.userId)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Archives the owner's subject at `at`, or unarchives it (`at` null), and returns it as written;
 * undefined for a foreign or missing one. Archiving an archived subject keeps the instant it was
 * first archived.
 */
export async function setSubjectArchived(
  db: Db,
  owner: { userId: string; subjectId: string },
  at: Date | null,
): Promise<SubjectRow | undefined> {
  return db
    .updateTable('subjects')
    .set((eb) => ({ archived_at: at === null ? null : eb.fn.coalesce('archived_at', eb.val(at)) }))
    .where('id', '=', owner.subjectId)
    .where('user_id', '=', owner.userId)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes the owner's subject; false (nothing deleted) for a foreign or missing one. */
export async function deleteSubjectForOwner(trx: Transaction<Database>, owner: { userId: string; subjectId: string }): Promise<boolean> {
  const deleted = await trx.deleteFrom('subjects').where('id', '=', owner.subjectId).where('user_id', '=', owner.userId).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}
