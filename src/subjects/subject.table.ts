import type { ColumnType, Generated, Selectable } from 'kysely';

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/**
 * `subjects`: what a student studies. Names are unique per owner, case-insensitively. An
 * archived subject (`archived_at` set) keeps its sessions and history but starts no new session.
 */
export interface SubjectTable {
  id: string;
  user_id: string;
  name: string;
  created_at: Generated<Date>;
  /** Insertion order, the tie-breaker of `created_at` (identity; pg returns a bigint as a string). */
  created_seq: Generated<string>;
  /** Display colour, `#rrggbb` in lower case; null: none chosen. */
  color: Nullable<string>;
  /** When it was archived; null while it is in use. */
  archived_at: Nullable<Date>;
}

export type SubjectRow = Selectable<SubjectTable>;
