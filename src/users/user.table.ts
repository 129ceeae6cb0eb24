import type { ColumnType, Generated, Selectable } from 'kysely';

/** `users`: one row per student account. Email is unique case-insensitively (index on lower(email)). */
export interface UserTable {
  id: string;
  email: string;
  /** scrypt hash; null for a user of an external identity provider, who has no password here. */
  password_hash: string | null;
  created_at: Generated<Date>;
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Last instant the student had a live WebSocket (heartbeat, batched). */
  last_seen_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** IANA name the student chose; null until they choose one. */
  time_zone: ColumnType<string | null, string | null | undefined, string | null>;
  /** First day of the student's week, as an ISO weekday (1 Monday … 7 Sunday); default 1. */
  week_start: ColumnType<number, number | undefined, number>;
  /** Study goals in minutes; null when the student has none. */
  daily_goal_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  weekly_goal_minutes: ColumnType<number | null, number | null | undefined, number | null>;
  /** Break lengths in minutes (1–60; defaults 5 and 15) and the completed pomodoros of a local day that earn the long one (1–12; default 4). */
  short_break_minutes: ColumnType<number, number | undefined, number>;
  long_break_minutes: ColumnType<number, number | undefined, number>;
  long_break_every: ColumnType<number, number | undefined, number>;
}

export type UserRow = Selectable<UserTable>;
