import { type Kysely, sql } from 'kysely';

// Time history and study goals.
//
// `study_session_runs` records each running stretch of a session (start or resume → pause, stop
// or completion), so that statistics can split time by local day. It carries the session's
// user and subject so that one index answers "this student's stretches between two instants";
// a composite foreign key on (session, user, subject) keeps the copies equal to the session's.
// Runs are history: a session's elapsed time is still computed from its own stored instants.
//
// Backfill, an approximation: sessions written before this migration have no record of when
// they were paused. Each gets its banked time (accumulated_ms) as one stretch from its start,
// [started_at, started_at + accumulated_ms], which is exact for a session that was never paused
// and otherwise puts its time too early (never before it started, never after it ended: banked
// time fits between the two). A RUNNING session also gets its current stretch, which is known
// exactly: [run_started_at, open). Sessions with nothing banked get no stretch for it.
//
// Users get their settings (time zone, first day of the week) and study goals.

/** Stretches longer than this are found by a partial index; shorter ones by their start alone. */
const LONG_RUN = sql`interval '1 day'`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unique index study_sessions_id_user_subject_key on study_sessions (id, user_id, subject_id)`.execute(db);
  await db.schema
    .createTable('study_session_runs')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('session_id', 'uuid', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addForeignKeyConstraint(
      'study_session_runs_session_fkey',
      ['session_id', 'user_id', 'subject_id'],
      'study_sessions',
      ['id', 'user_id', 'subject_id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addCheckConstraint('study_session_runs_ends_after_start', sql`ended_at is null or ended_at >= started_at`)
    .execute();
  // One open stretch per student, as there is one RUNNING session per student.
  await sql`create unique index study_session_runs_one_open_per_user on study_session_runs (user_id) where ended_at is null`.execute(db);
  await sql`create index study_session_runs_session_idx on study_session_runs (session_id)`.execute(db);
  // Range scans: stretches that start within a day before the range or inside it. INCLUDE lets
  // them be answered from the index alone.
  await sql`create index study_session_runs_user_started_idx on study_session_runs (user_id, started_at) include (ended_at, subject_id, session_id)`.execute(db);
  // The few stretches that start earlier and may still reach into the range: open or long ones.
  await sql`create index study_session_runs_user_long_idx on study_session_runs (user_id, started_at) include (ended_at, subject_id, session_id) where ended_at is null or ended_at - started_at > ${LONG_RUN}`.execute(db);
  // completedPomodoros: completions of one student between two instants.
  await sql`create index study_sessions_user_completed_idx on study_sessions (user_id, ended_at) where status = 'COMPLETED'`.execute(db);

  await sql`
    insert into study_session_runs (session_id, user_id, subject_id, started_at, ended_at)
    select id, user_id, subject_id, started_at, started_at + accumulated_ms * interval '1 millisecond'
    from study_sessions where accumulated_ms > 0
    union all
    select id, user_id, subject_id, run_started_at, null
    from study_sessions where status = 'RUNNING'
  `.execute(db);

  await db.schema
    .alterTable('users')
    .addColumn('time_zone', 'text')
    // ISO weekday: 1 Monday … 7 Sunday.
    .addColumn('week_start', 'smallint', (c) => c.notNull().defaultTo(1).check(sql`week_start between 1 and 7`))
    .addColumn('daily_goal_minutes', 'integer', (c) => c.check(sql`daily_goal_minutes between 1 and 1440`))
    .addColumn('weekly_goal_minutes', 'integer', (c) => c.check(sql`weekly_goal_minutes between 1 and 10080`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .dropColumn('time_zone')
    .dropColumn('week_start')
    .dropColumn('daily_goal_minutes')
    .dropColumn('weekly_goal_minutes')
    .execute();
  await sql`drop index study_sessions_user_completed_idx`.execute(db);
  await db.schema.dropTable('study_session_runs').execute();
  await sql`drop index study_sessions_id_user_subject_key`.execute(db);
}
