import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { UserRow } from '../users/user.table.js';

/** Creates a log-in (refresh-token family) for a user. */
export async function insertFamily(db: Kysely<Database>, family: { id: string; userId: string }): Promise<void> {
  await db.insertInto('refresh_token_families').values({ id: family.id, user_id: family.userId }).execute();
}

/** Stores a refresh token by its hash. */
export async function insertRefreshToken(
  db: Kysely<Database>,
  token: { id: string; familyId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({ id: token.id, family_id: token.familyId, token_hash: token.tokenHash, expires_at: token.expiresAt })
    .execute();
}

/**
 * Atomically marks an unused, unexpired refresh token of a live family and enabled user as used
 * by `client`, returning its family and user. Of two concurrent callers presenting the same
 * token, exactly one gets a row.
 */
export async function consumeRefreshToken(
  db: Kysely<Database>,
  tokenHash: string,
  now: Date,
  client: string,
): Promise<{ familyId: string; userId: string } | undefined> {
  return db
    .updateTable('refresh_tokens')
    .set({ used_at: now, used_by_client: client })
    .from('refresh_token_families')
    .innerJoin('users', 'users.id', 'refresh_token_families.user_id')
    .whereRef('refresh_token_families.id', '=', 'refresh_tokens.family_id')
    .where('refresh_tokens.token_hash', '=', tokenHash)
    .where('refresh_tokens.used_at', 'is', null)
    .where('refresh_tokens.expires_at', '>', now)
    .where('refresh_token_families.revoked_at', 'is', null)
    .where('users.disabled_at', 'is', null)
    .returning(['refresh_tokens.family_id as familyId', 'users.id as userId'])
    .executeTakeFirst();
}

/** The stored token with this hash, whatever its state. */
export async function findRefreshToken(db: Kysely<Database>, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens')
    .innerJoin('refresh_token_families', 'refresh_token_families.id', 'refresh_tokens.family_id')
    .select([
      'refresh_tokens.family_id as familyId',
      'refresh_token_families.user_id as userId',
      'refresh_tokens.used_at as usedAt',
      'refresh_tokens.used_by_client as usedByClient',
    ])
    .where('refresh_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Revokes a family (idempotent: the first reason and instant stay). */
export async function revokeFamily(db: Kysely<Database>, familyId: string, reason: string, at: Date): Promise<void> {
  await db
    .updateTable('refresh_token_families')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The user behind an access token, provided the user is enabled and the log-in is not revoked. */
export async function findActiveUserForLogin(
  db: Kysely<Database>,
  userId: string,
  familyId: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .innerJoin('refresh_token_families', 'refresh_token_families.user_id', 'users.id')
    .selectAll('users')
    .where('users.id', '=', userId)
    .where('refresh_token_families.id', '=', familyId)
    .where('refresh_token_families.revoked_at', 'is', null)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
}
