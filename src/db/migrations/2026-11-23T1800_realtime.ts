import { type Kysely, sql } from 'kysely';

// Real time: a version on each session so that in-process subscribers can tell a newer state
// from an older one, and a per-student heartbeat so that sessions left RUNNING by a crashed
// server can be paused at the instant their student was last seen.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('study_sessions').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('users').addColumn('last_seen_at', 'timestamptz').execute();
  await sql`create index study_sessions_running_idx on study_sessions (user_id) where status = 'RUNNING'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index study_sessions_running_idx`.execute(db);
  await db.schema.alterTable('users').dropColumn('last_seen_at').execute();
  await db.schema.alterTable('study_sessions').dropColumn('version').execute();
}
