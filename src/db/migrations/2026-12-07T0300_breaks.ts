import { type Kysely, sql } from 'kysely';

// Pomodoro breaks.
//
// A BREAK is a session with a planned length, like a POMODORO: it keeps that length in
// `focus_seconds` (the column holds "the plan" of whichever type has one), so the timer
// arithmetic, the completion sweep and its index treat both alike. The sweep's partial index
// is rebuilt on "has a plan" rather than on the type. A BREAK never gets a running stretch in
// `study_session_runs` (which holds study time only), so statistics do not see it.
//
// Users get their break settings: the short and long break lengths (minutes, 1–60, the bounds
// of `breakMinutes`) and how many completed pomodoros of a local day earn the long one.
//
// Down deletes every BREAK session first: the restored constraints do not allow them.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table study_sessions drop constraint study_sessions_type_check`.execute(db);
  await sql`alter table study_sessions add constraint study_sessions_type_check check (type in ('POMODORO', 'FREE', 'BREAK'))`.execute(db);
  await sql`alter table study_sessions drop constraint study_sessions_pomodoro_has_focus`.execute(db);
  await sql`
    alter table study_sessions add constraint study_sessions_planned_has_focus
    check ((type in ('POMODORO', 'BREAK')) = (focus_seconds is not null))
  `.execute(db);
  await sql`drop index study_sessions_running_pomodoro_idx`.execute(db);
  await sql`create index study_sessions_running_planned_idx on study_sessions (run_started_at) where status = 'RUNNING' and focus_seconds is not null`.execute(db);

  await db.schema
    .alterTable('users')
    .addColumn('short_break_minutes', 'smallint', (c) => c.notNull().defaultTo(5).check(sql`short_break_minutes between 1 and 60`))
    .addColumn('long_break_minutes', 'smallint', (c) => c.notNull().defaultTo(15).check(sql`long_break_minutes between 1 and 60`))
    .addColumn('long_break_every', 'smallint', (c) => c.notNull().defaultTo(4).check(sql`long_break_every between 1 and 12`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('short_break_minutes').dropColumn('long_break_minutes').dropColumn('long_break_every').execute();

  await sql`delete from study_sessions where type = 'BREAK'`.execute(db);
  await sql`drop index study_sessions_running_planned_idx`.execute(db);
  await sql`create index study_sessions_running_pomodoro_idx on study_sessions (run_started_at) where status = 'RUNNING' and type = 'POMODORO'`.execute(db);
  await sql`alter table study_sessions drop constraint study_sessions_planned_has_focus`.execute(db);
  await sql`alter table study_sessions add constraint study_sessions_pomodoro_has_focus check ((type = 'POMODORO') = (focus_seconds is not null))`.execute(db);
  await sql`alter table study_sessions drop constraint study_sessions_type_check`.execute(db);
  await sql`alter table study_sessions add constraint study_sessions_type_check check (type in ('POMODORO', 'FREE'))`.execute(db);
}
