import { type Kysely, sql } from 'kysely';

// Managing subjects and sessions (issue 13, items 5 and 6).
//
// Subjects get a display colour (`#rrggbb`, stored lower-case) and an archive instant: an
// archived subject refuses new sessions but keeps its history, so it stays in the table (and in
// every join statistics make) rather than being deleted. Sessions get a free-text note of at
// most 2,000 characters (PostgreSQL's char_length counts code points, as the service does).
// The checks repeat the service's rules so that no other writer can store what the API would
// refuse.
//
// Deleting a subject still relies on the initial migration's cascade (study_sessions →
// subjects, study_session_runs → study_sessions) only as a backstop: the service deletes a
// subject's sessions and runs itself, in one transaction, and refuses while any remain unless
// asked to.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('subjects')
    .addColumn('color', 'text', (c) => c.check(sql`color ~ '^#[0-9a-f]{6}$'`))
    .addColumn('archived_at', 'timestamptz')
    .execute();
  await db.schema
    .alterTable('study_sessions')
    .addColumn('note', 'text', (c) => c.check(sql`char_length(note) between 1 and 2000`))
    .execute();
  // `sessions(subjectId)` and the subject's "has sessions?" check of deleteSubject.
  await sql`create index study_sessions_subject_idx on study_sessions (subject_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index study_sessions_subject_idx`.execute(db);
  await db.schema.alterTable('study_sessions').dropColumn('note').execute();
  await db.schema.alterTable('subjects').dropColumn('archived_at').dropColumn('color').execute();
}
