import { type Kysely, sql } from 'kysely';

// Migrations are frozen in time: they take Kysely<any> and never import the app's table types,
// which keep changing after this file is written.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('disabled_at', 'timestamptz')
    .execute();
  await sql`create unique index users_email_lower_key on users (lower(email))`.execute(db);

  await db.schema
    .createTable('refresh_token_families')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('refresh_token_families_user_idx').on('refresh_token_families').column('user_id').execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('family_id', 'uuid', (c) => c.notNull().references('refresh_token_families.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').column('family_id').execute();

  await db.schema
    .createTable('subjects')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index subjects_user_name_key on subjects (user_id, lower(name))`.execute(db);

  await db.schema
    .createTable('study_sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('subject_id', 'uuid', (c) => c.notNull().references('subjects.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('POMODORO', 'FREE')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('RUNNING', 'PAUSED', 'COMPLETED', 'STOPPED')`))
    .addColumn('focus_seconds', 'integer', (c) => c.check(sql`focus_seconds > 0`))
    .addColumn('accumulated_ms', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`accumulated_ms >= 0`))
    .addColumn('run_started_at', 'timestamptz')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('paused_reason', 'text', (c) => c.check(sql`paused_reason in ('USER', 'DISCONNECT')`))
    .addCheckConstraint('study_sessions_running_has_run_start', sql`(status = 'RUNNING') = (run_started_at is not null)`)
    .addCheckConstraint('study_sessions_finished_has_end', sql`(status in ('COMPLETED', 'STOPPED')) = (ended_at is not null)`)
    .addCheckConstraint('study_sessions_pomodoro_has_focus', sql`(type = 'POMODORO') = (focus_seconds is not null)`)
    .execute();
  // The invariant "at most one unfinished session per student" lives here, so it holds under
  // any interleaving of concurrent requests; the service maps its violation to SESSION_ALREADY_ACTIVE.
  await sql`create unique index study_sessions_one_active_per_user on study_sessions (user_id) where status in ('RUNNING', 'PAUSED')`.execute(db);
  await sql`create index study_sessions_user_started_idx on study_sessions (user_id, started_at desc, id desc)`.execute(db);
  await sql`create index study_sessions_running_pomodoro_idx on study_sessions (run_started_at) where status = 'RUNNING' and type = 'POMODORO'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('study_sessions').execute();
  await db.schema.dropTable('subjects').execute();
  await db.schema.dropTable('refresh_tokens').execute();
  await db.schema.dropTable('refresh_token_families').execute();
  await db.schema.dropTable('users').execute();
}
