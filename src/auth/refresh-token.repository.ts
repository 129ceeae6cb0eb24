import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';

/** The client a log-in was created or last refreshed from, as stored on its family. */
export interface LoginClient {
  userAgent: string | null;
  address: string | null;
}

/** Creates a log-in (refresh-token family) for a user, created and last used `at`, by `client`. */
export async function insertFamily(
  db: Kysely<Database>,
  family: { id: string; userId: string; at: Date; client: LoginClient },
): Promise<void> {
  await db
    .insertInto('refresh_token_families')
    .values({
      id: family.id,
      user_id: family.userId,
      created_at: family.at,
      last_used_at: family.at,
      user_agent: family.client.userAgent,
      address: family.client.address,
    })
    .execute();
}

/** Records that a log-in was refreshed `at` by `client`. */
export async function touchFamily(db: Kysely<Database>, familyId: string, at: Date, client: LoginClient): Promise<void> {
  await db
    .updateTable('refresh_token_families')
    .set({ last_used_at: at, user_agent: client.userAgent, address: client.address })
    .where('id', '=', familyId)
    .execute();
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

/** A log-in of a student as `logIns` lists it. */
export interface LoginRow {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  address: string | null;
}

/**
 * The live log-ins of a user, most recently used first: not revoked, and holding a refresh token
 * that has not expired at `now` (a log-in whose tokens all expired can never be refreshed again).
 */
export async function listLiveFamilies(db: Kysely<Database>, userId: string, now: Date): Promise<LoginRow[]> {
  return db
    .selectFrom('refresh_token_families as f')
    .select(['f.id', 'f.created_at as createdAt', 'f.last_used_at as lastUsedAt', 'f.user_agent as userAgent', 'f.address'])
    .where('f.user_id', '=', userId)
    .where('f.revoked_at', 'is', null)
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('refresh_tokens as t').select('t.id').whereRef('t.family_id', '=', 'f.id').where('t.expires_at', '>', now)),
    )
    .orderBy('f.last_used_at', 'desc')
    .orderBy('f.id')
    .execute();
}

/**
 * Revokes the log-in `familyId` provided it is `userId`'s and not revoked yet. False for a
 * missing, foreign or already revoked log-in (the caller cannot tell them apart).
 */
export async function revokeOwnFamily(
  db: Kysely<Database>,
  owner: { userId: string; familyId: string },
  reason: string,
  at: Date,
): Promise<boolean> {
  const row = await db
    .updateTable('refresh_token_families')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('id', '=', owner.familyId)
    .where('user_id', '=', owner.userId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Revokes every live log-in of `userId` but `keepFamilyId` (null: keeps none); returns the ids revoked. */
export async function revokeOtherFamilies(
  db: Kysely<Database>,
  userId: string,
  keepFamilyId: string | null,
  reason: string,
  at: Date,
): Promise<string[]> {
  let query = db
    .updateTable('refresh_token_families')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepFamilyId !== null) query = query.where('id', '<>', keepFamilyId);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Which of these log-ins (an access token's user and refresh-token family) are active: the
 * family is the user's and not revoked, and the user is enabled. One query for all of them,
 * answered in order; the ownership of the family is part of the query, so a family paired with
 * another user is not active.
 */
export async function findActiveLogins(
  db: Kysely<Database>,
  logins: readonly { userId: string; familyId: string }[],
): Promise<boolean[]> {
  const rows = await db
    .selectFrom('refresh_token_families')
    .innerJoin('users', 'users.id', 'refresh_token_families.user_id')
    .select(['refresh_token_families.id', 'refresh_token_families.user_id'])
    .where((eb) =>
      eb(
        eb.refTuple('refresh_token_families.id', 'refresh_token_families.user_id'),
        'in',
        logins.map((l) => eb.tuple(l.familyId, l.userId)),
      ),
    )
    .where('refresh_token_families.revoked_at', 'is', null)
    .where('users.disabled_at', 'is', null)
    .execute();
  const active = new Set(rows.map((r) => `${r.id} ${r.user_id}`));
  // PostgreSQL writes uuids in lower case, and compares them whatever their case.
  return logins.map((l) => active.has(`${l.familyId} ${l.userId}`.toLowerCase()));
}

/**
 * Of these log-ins and users (the ones with a socket on an instance), those that have ended:
 * log-ins revoked, users disabled, users gone (deleted). Two indexed reads (primary keys).
 */
export async function findEndedLogins(
  db: Kysely<Database>,
  held: { familyIds: string[]; userIds: string[] },
): Promise<{ revokedFamilies: string[]; disabledUsers: string[]; deletedUsers: string[] }> {
  const families = held.familyIds.length
    ? await db
        .selectFrom('refresh_token_families')
        .select('id')
        .where('id', '=', sql<string>`any(${held.familyIds}::uuid[])`)
        .where('revoked_at', 'is not', null)
        .execute()
    : [];
  const users = held.userIds.length
    ? await db.selectFrom('users').select(['id', 'disabled_at']).where('id', '=', sql<string>`any(${held.userIds}::uuid[])`).execute()
    : [];
  const present = new Set(users.map((u) => u.id));
  return {
    revokedFamilies: families.map((f) => f.id),
    disabledUsers: users.filter((u) => u.disabled_at !== null).map((u) => u.id),
    deletedUsers: held.userIds.filter((id) => !present.has(id)),
  };
}
