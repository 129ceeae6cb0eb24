import type { Generated, Selectable } from 'kysely';

/** `subjects`: what a student studies. Names are unique per owner, case-insensitively. */
export interface SubjectTable {
  id: string;
  user_id: string;
  name: string;
  created_at: Generated<Date>;
  /** Insertion order, the tie-breaker of `created_at` (identity; pg returns a bigint as a string). */
  created_seq: Generated<string>;
}

export type SubjectRow = Selectable<SubjectTable>;
