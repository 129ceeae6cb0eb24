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
}

export type UserRow = Selectable<UserTable>;
