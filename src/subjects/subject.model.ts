import type { SubjectRow } from './subject.table.js';

/** Something a student studies; sessions are started for a subject. */
export interface Subject {
  id: string;
  name: string;
  createdAt: Date;
}

/** Maps a row to the API model. */
export function toSubject(row: Pick<SubjectRow, 'id' | 'name' | 'created_at'>): Subject {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}
