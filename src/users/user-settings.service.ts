import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { AppError, badInput } from '../errors.js';
import { BREAK_SETTINGS, type BreakSettings, GOAL_MINUTES, type StudyGoal, toUserSettings, type UserSettings } from './user-settings.model.js';
import { findUserSettings, updateBreakSettings, updateStudyGoal } from './user.repository.js';

/** A student's settings and study goals. */
export class UserSettingsService {
  constructor(private readonly db: Kysely<Database>) {}

  /** The student's settings; UNAUTHENTICATED if the account has gone meanwhile. */
  async get(userId: string): Promise<UserSettings> {
    const row = await findUserSettings(this.db, userId);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return toUserSettings(row);
  }

  /**
   * Sets both goals at once (an omitted or null one: no such goal). BAD_USER_INPUT naming the
   * field for a goal out of bounds ({@link GOAL_MINUTES}), checked before anything is written.
   */
  async setStudyGoal(userId: string, input: { dailyMinutes?: number | null; weeklyMinutes?: number | null }): Promise<UserSettings> {
    const goal: StudyGoal = {
      dailyMinutes: goalMinutes('dailyMinutes', input.dailyMinutes, GOAL_MINUTES.daily),
      weeklyMinutes: goalMinutes('weeklyMinutes', input.weeklyMinutes, GOAL_MINUTES.weekly),
    };
    const row = await updateStudyGoal(this.db, userId, goal);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return toUserSettings(row);
  }

  /**
   * Sets the three break settings at once, as `setStudyGoal` sets both goals: an omitted or null
   * one goes back to its default ({@link BREAK_SETTINGS}). BAD_USER_INPUT naming the field for a
   * value out of bounds, checked before anything is written.
   */
  async setBreakSettings(
    userId: string,
    input: { shortBreakMinutes?: number | null; longBreakMinutes?: number | null; longBreakEvery?: number | null },
  ): Promise<UserSettings> {
    const breaks: BreakSettings = {
      shortBreakMinutes: breakSetting('shortBreakMinutes', input.shortBreakMinutes),
      longBreakMinutes: breakSetting('longBreakMinutes', input.longBreakMinutes),
      longBreakEvery: breakSetting('longBreakEvery', input.longBreakEvery),
    };
    const row = await updateBreakSettings(this.db, userId, breaks);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return toUserSettings(row);
  }
}

function breakSetting(field: keyof typeof BREAK_SETTINGS, value: number | null | undefined): number {
  const bounds = BREAK_SETTINGS[field];
  if (value == null) return bounds.default;
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw badInput(field, `${field} must be between ${bounds.min} and ${bounds.max}`);
  }
  return value;
}

function goalMinutes(field: string, value: number | null | undefined, bounds: { min: number; max: number }): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw badInput(field, `${field} must be between ${bounds.min} and ${bounds.max}`);
  }
  return value;
}
