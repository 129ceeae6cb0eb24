import type { UserRow } from './user.table.js';

/** The days a week can start on, in ISO order (index + 1 is the ISO weekday stored in `users.week_start`). */
export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

/** One of {@link WEEKDAYS}. */
export type WeekdayValue = (typeof WEEKDAYS)[number];

/** Bounds of the study goals, in minutes: a whole day, and seven of them. */
export const GOAL_MINUTES = { daily: { min: 1, max: 1440 }, weekly: { min: 1, max: 10_080 } } as const;

/**
 * Bounds and defaults of the break settings: the short and long break lengths in minutes (the
 * bounds of a BREAK's `breakMinutes`, so that a suggestion can always be started), and how many
 * completed pomodoros of a local day earn the long break.
 */
export const BREAK_SETTINGS = {
  shortBreakMinutes: { min: 1, max: 60, default: 5 },
  longBreakMinutes: { min: 1, max: 60, default: 15 },
  longBreakEvery: { min: 1, max: 12, default: 4 },
} as const;

/** A student's break settings (see {@link BREAK_SETTINGS}). */
export interface BreakSettings {
  shortBreakMinutes: number;
  longBreakMinutes: number;
  longBreakEvery: number;
}

/** A student's study goals; null: no such goal. */
export interface StudyGoal {
  dailyMinutes: number | null;
  weeklyMinutes: number | null;
}

/** A student's settings as the API shows them. */
export interface UserSettings {
  timeZone: string | null;
  weekStart: WeekdayValue;
  goal: StudyGoal;
  breaks: BreakSettings;
}

/** The settings columns of a user row. */
export type UserSettingsRow = Pick<
  UserRow,
  'time_zone' | 'week_start' | 'daily_goal_minutes' | 'weekly_goal_minutes' | 'short_break_minutes' | 'long_break_minutes' | 'long_break_every'
>;

/** Maps the settings columns of a row to the API model. */
export function toUserSettings(row: UserSettingsRow): UserSettings {
  return {
    timeZone: row.time_zone,
    weekStart: WEEKDAYS[row.week_start - 1]!,
    goal: { dailyMinutes: row.daily_goal_minutes, weeklyMinutes: row.weekly_goal_minutes },
    breaks: toBreakSettings(row),
  };
}

/** Maps the break columns of a row to the model. */
export function toBreakSettings(row: Pick<UserRow, 'short_break_minutes' | 'long_break_minutes' | 'long_break_every'>): BreakSettings {
  return { shortBreakMinutes: row.short_break_minutes, longBreakMinutes: row.long_break_minutes, longBreakEvery: row.long_break_every };
}
