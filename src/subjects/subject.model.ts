import type { SubjectRow } from './subject.table.js';

/** Something a student studies; sessions are started for a subject. */
export interface Subject {
  id: string;
  name: string;
  createdAt: Date;
  /** `#rrggbb`, lower case; null when none was chosen. */
  color: string | null;
  /** When it was archived (it then starts no new session); null while in use. */
  archivedAt: Date | null;
}

/** Maps a row to the API model. */
export function toSubject(row: Pick<SubjectRow, 'id' | 'name' | 'created_at' | 'color' | 'archived_at'>): Subject {
  return { id: row.id, name: row.name, createdAt: row.created_at, color: row.color, archivedAt: row.archived_at };
}
