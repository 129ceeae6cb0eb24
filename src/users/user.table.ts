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
}

export type UserRow = Selectable<UserTable>;
