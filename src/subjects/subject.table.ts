import type { Generated, Selectable } from 'kysely';

/** `subjects`: what a student studies. Names are unique per owner, case-insensitively. */
export interface SubjectTable {
  id: string;
  user_id: string;
  name: string;
  created_at: Generated<Date>;
}

export type SubjectRow = Selectable<SubjectTable>;
