import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { UserRow } from '../users/user.table.js';

/** Name of the primary key whose violation means "this (issuer, subject) was just linked by someone else". */
export const EXTERNAL_IDENTITY_KEY = 'external_identities_pkey';

/** The user an identity provider's (issuer, subject) is linked to, enabled or not. */
export async function findUserByExternalIdentity(
  db: Kysely<Database>,
  issuer: string,
  subject: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom('external_identities')
    .innerJoin('users', 'users.id', 'external_identities.user_id')
    .selectAll('users')
    .where('external_identities.issuer', '=', issuer)
    .where('external_identities.subject', '=', subject)
    .executeTakeFirst();
}

/**
 * Links (issuer, subject) to a user. Throws PostgreSQL's unique_violation on
 * {@link EXTERNAL_IDENTITY_KEY} when the pair is already linked.
 */
export async function insertExternalIdentity(
  db: Kysely<Database>,
  identity: { issuer: string; subject: string; userId: string },
): Promise<void> {
  await db
    .insertInto('external_identities')
    .values({ issuer: identity.issuer, subject: identity.subject, user_id: identity.userId })
    .execute();
}
