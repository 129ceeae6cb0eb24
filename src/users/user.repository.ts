import { type Kysely, sql, type Updateable } from 'kysely';
import type { Database } from '../db/database.js';
import type { UserSettingsRow } from './user-settings.model.js';
import type { UserRow, UserTable } from './user.table.js';

/**
 * Inserts a user (`passwordHash` null: an external identity provider's user, who cannot log in
 * with a password). Throws PostgreSQL's unique_violation (index `users_email_lower_key`) on a taken email.
 */
export async function insertUser(
  db: Kysely<Database>,
  user: { id: string; email: string; passwordHash: string | null },
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({ id: user.id, email: user.email, password_hash: user.passwordHash })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The user with this email, compared case-insensitively. */
export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/** The user with this id. */
export async function findUserById(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Marks a user disabled from `at`; their tokens stop working on the next check. */
export async function disableUser(db: Kysely<Database>, id: string, at: Date): Promise<void> {
  await db.updateTable('users').set({ disabled_at: at }).where('id', '=', id).execute();
}

/**
 * Replaces the password hash of the user, provided it is still `expected` (the one the caller
 * verified): false when it changed meanwhile or the user is gone.
 */
export async function replacePasswordHash(
  db: Kysely<Database>,
  id: string,
  hashes: { expected: string; replacement: string },
): Promise<boolean> {
  const row = await db
    .updateTable('users')
    .set({ password_hash: hashes.replacement })
    .where('id', '=', id)
    .where('password_hash', '=', hashes.expected)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Deletes the user, provided their password hash is still `expectedHash`, and with them, by the
 * schema's `on delete cascade`, everything that is theirs: log-ins and refresh tokens, subjects,
 * sessions and their runs, external identities (settings are columns of the row). False when
 * the hash changed meanwhile or the user is gone.
 */
export async function deleteUser(db: Kysely<Database>, id: string, expectedHash: string): Promise<boolean> {
  const row = await db
    .deleteFrom('users')
    .where('id', '=', id)
    .where('password_hash', '=', expectedHash)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

const SETTINGS_COLUMNS = [
  'time_zone',
  'week_start',
  'daily_goal_minutes',
  'weekly_goal_minutes',
  'short_break_minutes',
  'long_break_minutes',
  'long_break_every',
] as const;

/** The settings columns of the user with this id. */
export async function findUserSettings(db: Kysely<Database>, id: string): Promise<UserSettingsRow | undefined> {
  return db.selectFrom('users').select(SETTINGS_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** The settings columns to change, each left as it is when undefined. */
export type UserSettingsPatch = Pick<Updateable<UserTable>, (typeof SETTINGS_COLUMNS)[number]>;

/** Changes the settings columns `patch` gives; returns the settings as written (undefined: no such user). */
export async function updateUserSettings(
  db: Kysely<Database>,
  id: string,
  patch: UserSettingsPatch,
): Promise<UserSettingsRow | undefined> {
  // Kysely refuses an empty SET: with nothing to change, read them.
  if (Object.values(patch).every((v) => v === undefined)) return findUserSettings(db, id);
  return db.updateTable('users').set(patch).where('id', '=', id).returning(SETTINGS_COLUMNS).executeTakeFirst();
}
