import type { UserRow } from './user.table.js';

/** A student account as the API shows it (never with its password hash). */
export interface User {
  id: string;
  email: string;
  createdAt: Date;
}

/** The public part of a user row. */
export function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, createdAt: row.created_at };
}
