import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { BreakSettings, UserSettingsRow } from './user-settings.model.js';
import type { UserRow } from './user.table.js';

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

/** Replaces the user's study goals; returns their settings as written (undefined: no such user). */
export async function updateStudyGoal(
  db: Kysely<Database>,
  id: string,
  goal: { dailyMinutes: number | null; weeklyMinutes: number | null },
): Promise<UserSettingsRow | undefined> {
  return db
    .updateTable('users')
    .set({ daily_goal_minutes: goal.dailyMinutes, weekly_goal_minutes: goal.weeklyMinutes })
    .where('id', '=', id)
    .returning(SETTINGS_COLUMNS)
    .executeTakeFirst();
}

/** Replaces the user's break settings; returns their settings as written (undefined: no such user). */
export async function updateBreakSettings(db: Kysely<Database>, id: string, breaks: BreakSettings): Promise<UserSettingsRow | undefined> {
  return db
    .updateTable('users')
    .set({
      short_break_minutes: breaks.shortBreakMinutes,
      long_break_minutes: breaks.longBreakMinutes,
      long_break_every: breaks.longBreakEvery,
    })
    .where('id', '=', id)
    .returning(SETTINGS_COLUMNS)
    .executeTakeFirst();
}
