/**
 * Benchmark: `studyStats` for a year, for a student with ten years of sessions, on a real
 * PostgreSQL server among other students with as much history each (so that reading only one
 * student's stretches is the index's doing, not the table's size). Creates a database of its own
 * on the server, seeds it with one set-based statement per table (deterministic: setseed), runs
 * the service's `stats` many times for the latest year and for a year five years back, prints
 * p50/p99/max, then the EXPLAIN (ANALYZE, BUFFERS) of the statistics statement, and drops the
 * database.
 *
 *   npm run bench:stats
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_OTHER_STUDENTS=50 BENCH_RUNS=300 npm run bench:stats
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { createLogger } from '../../src/logger.js';
import { SessionService } from '../../src/sessions/session.service.js';
import { addDays } from '../../src/stats/calendar-date.js';
import { statsStatement } from '../../src/stats/stats.repository.js';
import { StudyStatsService } from '../../src/stats/stats.service.js';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const OTHER_STUDENTS = Number(process.env.BENCH_OTHER_STUDENTS ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const YEARS = 10;
const TIME_ZONE = 'Europe/Berlin';

const out = (line = '') => process.stdout.write(`${line}\n`);

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const name = `studyclock_bench_${randomBytes(4).toString('hex')}`;
await admin(`create database ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
// Seeding takes longer than a request may.
const handle = await openDatabase({ url: url.toString(), statementTimeoutMs: 600_000 }, createLogger('silent'));
const { db } = handle;
try {
  await migrateToLatest(db);
  const seedStart = performance.now();
  await sql`select setseed(0.42)`.execute(db);
  await sql`
    insert into users (id, email, password_hash)
    select md5('bench-user-' || i)::uuid, 'bench-' || i || '@example.com', 'not-a-hash'
    from generate_series(0, ${OTHER_STUDENTS}) i
  `.execute(db);
  await sql`
    insert into subjects (id, user_id, name)
    select md5(u.id::text || k)::uuid, u.id, 'Subject ' || k from users u, generate_series(0, 3) k
  `.execute(db);
  // Up to four sessions a day (each slot taken with probability 0.6, so about one day in 40 has
  // none and streaks break), each two stretches of 10–50 min around a 3–12 min pause, starting
  // between 06:00 and 21:00 UTC; a third are completed POMODOROs.
  await sql`
    create unlogged table bench_plan as
    select gen_random_uuid() as id, u.id as user_id, md5(u.id::text || floor(random() * 4)::int)::uuid as subject_id,
      date_trunc('day', now()) - d * interval '1 day' + interval '6 hours' + k * interval '4 hours' + floor(random() * 180) * interval '1 minute' as s,
      (10 + floor(random() * 40))::int as a_min, (3 + floor(random() * 10))::int as p_min, (10 + floor(random() * 40))::int as b_min,
      random() < 0.33 as pomodoro
    from users u, generate_series(1, ${YEARS * 365}) d, generate_series(0, 3) k
    where random() < 0.6
  `.execute(db);
  await sql`
    insert into study_sessions (id, user_id, subject_id, type, status, focus_seconds, accumulated_ms, started_at, ended_at)
    select id, user_id, subject_id,
      case when pomodoro then 'POMODORO' else 'FREE' end, case when pomodoro then 'COMPLETED' else 'STOPPED' end,
      case when pomodoro then (a_min + b_min) * 60 end, (a_min + b_min) * 60000,
      s, s + (a_min + p_min + b_min) * interval '1 minute'
    from bench_plan
  `.execute(db);
  await sql`
    insert into study_session_runs (session_id, user_id, subject_id, started_at, ended_at)
    select id, user_id, subject_id, s, s + a_min * interval '1 minute' from bench_plan
    union all
    select id, user_id, subject_id, s + (a_min + p_min) * interval '1 minute', s + (a_min + p_min + b_min) * interval '1 minute' from bench_plan
  `.execute(db);
  await sql`drop table bench_plan`.execute(db);
  const student = (await sql<{ id: string }>`select md5('bench-user-0')::uuid as id`.execute(db)).rows[0]!.id;
  // And a session running right now, counted up to now.
  const sessions = new SessionService(db, systemClock, { changes: { sessionChanged: () => {} }, completionDeferred: () => false });
  await sessions.start(student, { subjectId: (await sql<{ id: string }>`select md5(${student}::text || 0)::uuid as id`.execute(db)).rows[0]!.id, type: 'FREE' });
  await sql`vacuum analyze`.execute(db);
  const counts = (
    await sql<{ sessions: number; runs: number; mine: number }>`
      select (select count(*) from study_sessions) as sessions, (select count(*) from study_session_runs) as runs,
        (select count(*) from study_session_runs where user_id = ${student}) as mine
    `.execute(db)
  ).rows[0]!;
  out(`seeded ${OTHER_STUDENTS + 1} students × ${YEARS} years in ${((performance.now() - seedStart) / 1000).toFixed(1)} s: ` +
    `${counts.sessions} sessions, ${counts.runs} stretches (${counts.mine} of the measured student)`);

  const stats = new StudyStatsService(db, systemClock, sessions);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date());
  const ranges = [
    { label: 'latest year', from: addDays(today, -364), to: today },
    { label: 'a year, five years back', from: addDays(today, -5 * 365 - 364), to: addDays(today, -5 * 365) },
  ];
  for (const range of ranges) {
    const args = { from: range.from, to: range.to, timeZone: TIME_ZONE };
    for (let i = 0; i < 20; i++) await stats.stats(student, args); // warm-up: plans, caches, the zone list
    const times: number[] = [];
    let answer;
    for (let i = 0; i < RUNS; i++) {
      const began = performance.now();
      answer = await stats.stats(student, args);
      times.push(performance.now() - began);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!.toFixed(1);
    out(`studyStats ${range.label} (${range.from} to ${range.to}, ${TIME_ZONE}), ${RUNS} runs: ` +
      `p50 ${at(50)} ms, p99 ${at(99)} ms, max ${times.at(-1)!.toFixed(1)} ms ` +
      `(total ${answer!.totalSeconds} s, ${answer!.days.length} days, current streak ${answer!.currentStreakDays}, longest ${answer!.longestStreakDays})`);
  }

  out('\nEXPLAIN (ANALYZE, BUFFERS) of the statistics statement, latest year (index scans: study_session_runs_user_started_idx, study_session_runs_user_long_idx, study_sessions_user_completed_idx):');
  const statement = statsStatement({
    userId: student,
    subjectId: undefined,
    from: ranges[0]!.from,
    to: ranges[0]!.to,
    timeZone: TIME_ZONE,
    now: new Date(),
    minDailySeconds: 60,
    lookbackDays: 366,
  });
  // As the service runs it: JIT off (see withoutJit in stats.repository.ts).
  const plan = await db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${statement}`.execute(trx);
  });
  for (const row of plan.rows) out(row['QUERY PLAN']);
} finally {
  await handle.close();
  await admin(`drop database if exists ${name} with (force)`);
}
