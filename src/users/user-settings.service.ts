import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { AppError, badInput } from '../errors.js';
import type { TimeZoneNames } from '../stats/time-zones.js';
import { BREAK_SETTINGS, GOAL_MINUTES, toUserSettings, type UserSettings, WEEKDAYS, type WeekdayValue } from './user-settings.model.js';
import { findUserSettings, updateUserSettings, type UserSettingsPatch } from './user.repository.js';

/** Settings to change (`updateSettings`): undefined leaves one as it is, null sets it back to its default. */
export interface SettingsChanges {
  timeZone?: string | null;
  weekStart?: WeekdayValue | null;
  dailyGoalMinutes?: number | null;
  weeklyGoalMinutes?: number | null;
}

/** A student's settings and study goals. */
export class UserSettingsService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly timeZones: TimeZoneNames,
  ) {}

  /** The student's settings; UNAUTHENTICATED if the account has gone meanwhile. */
  async get(userId: string): Promise<UserSettings> {
    const row = await findUserSettings(this.db, userId);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return toUserSettings(row);
  }

  /**
   * Changes the settings `changes` gives (see {@link SettingsChanges}) and returns them all.
   * BAD_USER_INPUT naming the field for a time zone the database does not know (the names
   * `studyStats` takes) or a goal out of bounds ({@link GOAL_MINUTES}), all checked before
   * anything is written. UNAUTHENTICATED if the account has gone meanwhile.
   */
  async update(userId: string, changes: SettingsChanges): Promise<UserSettings> {
    const patch: UserSettingsPatch = {
      daily_goal_minutes: goalMinutes('dailyGoalMinutes', changes.dailyGoalMinutes, GOAL_MINUTES.daily),
      weekly_goal_minutes: goalMinutes('weeklyGoalMinutes', changes.weeklyGoalMinutes, GOAL_MINUTES.weekly),
      // ISO weekday; null: back to Monday, the column's default.
      week_start: changes.weekStart === undefined ? undefined : changes.weekStart === null ? 1 : WEEKDAYS.indexOf(changes.weekStart) + 1,
      time_zone: changes.timeZone == null ? changes.timeZone : await this.timeZones.require('timeZone', changes.timeZone),
    };
    const row = await updateUserSettings(this.db, userId, patch);
    if (!row) throw new AppError('UNAUTHENTICATED');
    return toUserSettings(row);
  }

  /**
   * Sets both goals at once (an omitted or null one: no such goal), as {@link update} with both.
   * BAD_USER_INPUT naming `dailyMinutes` or `weeklyMinutes` for a goal out of bounds.
   */
  async setStudyGoal(userId: string, input: { dailyMinutes?: number | null; weeklyMinutes?: number | null }): Promise<UserSettings> {
    // Checked under this mutation's own argument names before update() sees them.
    goalMinutes('dailyMinutes', input.dailyMinutes, GOAL_MINUTES.daily);
    goalMinutes('weeklyMinutes', input.weeklyMinutes, GOAL_MINUTES.weekly);
    return this.update(userId, { dailyGoalMinutes: input.dailyMinutes ?? null, weeklyGoalMinutes: input.weeklyMinutes ?? null });
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
    const row = await updateUserSettings(this.db, userId, {
      short_break_minutes: breakSetting('shortBreakMinutes', input.shortBreakMinutes),
      long_break_minutes: breakSetting('longBreakMinutes', input.longBreakMinutes),
      long_break_every: breakSetting('longBreakEvery', input.longBreakEvery),
    });
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

/** A goal as stored: `value` within `bounds`, null for none, undefined left as it is; else BAD_USER_INPUT naming `field`. */
function goalMinutes<V extends number | null | undefined>(field: string, value: V, bounds: { min: number; max: number }): V {
  if (value == null) return value;
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw badInput(field, `${field} must be between ${bounds.min} and ${bounds.max}`);
  }
  return value;
}
