import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { CalendarDate } from './calendar-date.js';

// Statistics are computed where the stretches are: one statement per question, no rows shipped
// to Node. Local days are cut in PostgreSQL, whose time-zone database (PGlite has its own copy)
// knows every zone's offsets and DST rules: a local day runs from `date::timestamp at time zone
// tz` to the next date's, 23 or 25 hours long on a DST change, and consecutive days tile the
// time line with no gap or overlap. A stretch is clipped to the window, then split at each
// local midnight it crosses.
//
// Breaks: a BREAK session has no stretches (they hold study time only), so nothing below needs
// to leave it out but completedPomodoros, which reads the sessions themselves.
//
// Rounding: time is summed to the millisecond per (local day, subject) and rounded down to whole
// seconds there, once; every other figure is a sum of those cells, so they always add up.

/** What a statistics query is about. */
export interface StatsQuery {
  userId: string;
  /** Only this subject's time; all subjects when undefined. */
  subjectId: string | undefined;
  from: CalendarDate;
  to: CalendarDate;
  timeZone: string;
  /** The server's now: the running stretch counts up to it, and it says which day is today. */
  now: Date;
  /** Least seconds of a day that counts towards a streak. */
  minDailySeconds: number;
  /** Days before the range (and before today) looked at for the streaks that reach into it. */
  lookbackDays: number;
}

/** One subject's time on a day or over the range. */
export interface SubjectSecondsRow {
  subjectId: string;
  seconds: number;
  sessions: number;
}

/** The answer of {@link queryStats}, before subjects are attached. */
export interface StatsRow {
  days: { date: CalendarDate; seconds: number; bySubject: SubjectSecondsRow[] }[];
  bySubject: SubjectSecondsRow[];
  subjects: { id: string; name: string; createdAt: string; color: string | null; archivedAt: string | null }[];
  completedPomodoros: number;
  /** The first day looked at (the range's start or today's, less the lookback). */
  windowFrom: CalendarDate;
  /** The streak ending on the current-streak day (see the SDL), and the day it starts. */
  current: { days: number; firstDay: CalendarDate | null };
  /** The longest streak ending in the range, as far back as the window sees. */
  longestDays: number;
  /** The length of the streak that starts on `windowFrom` and ends in the range, if any: it may go back further. */
  edgeDays: number | null;
  goal: { dailyMinutes: number | null; weeklyMinutes: number | null; dailyProgressSeconds: number; weeklyProgressSeconds: number };
}

const date = (d: CalendarDate) => sql`${d}::date`;
/** The instant a local date begins in `tz`. */
const dayStart = (day: RawBuilder<unknown>, tz: RawBuilder<unknown>) => sql`(${day}::timestamp at time zone ${tz})`;

/**
 * The CTE bodies for one window of local dates [`first`, `last`] (SQL date expressions): the
 * student's stretches clipped to it, split per local day, and summed per (day, subject) as
 * `cells` (day, subject_id, ms, seconds, sessions). `name` prefixes the CTEs so that one
 * statement can hold two windows.
 *
 * The stretches come from two index scans: those that start within a day before the window or
 * inside it (`study_session_runs_user_started_idx`), and the few that start earlier and are open
 * or longer than a day (`study_session_runs_user_long_idx`, partial): nothing else can reach in.
 * An open stretch counts up to `now`, or to its POMODORO's completion instant if that is earlier
 * (a session whose completion is deferred while its student's disconnect pause is pending).
 */
function windowCtes(
  name: string,
  q: { userId: string; subjectId: string | undefined; now: Date },
  tz: RawBuilder<unknown>,
  first: RawBuilder<unknown>,
  last: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const id = (suffix: string) => sql.id(`${name}_${suffix}`);
  const subject = q.subjectId === undefined ? sql`` : sql`and r.subject_id = ${q.subjectId}`;
  const openEnd = sql`(
    select least(${q.now}::timestamptz, s.run_started_at + (s.focus_seconds * 1000 - s.accumulated_ms) * interval '1 millisecond')
    from study_sessions s where s.id = r.session_id
  )`;
  const clipped = (where: RawBuilder<unknown>) => sql`
    select r.session_id, r.subject_id,
      greatest(r.started_at, b.w_start) as s,
      least(coalesce(r.ended_at, ${openEnd}), b.w_end) as e
    from study_session_runs r, ${id('bounds')} b
    where r.user_id = ${q.userId} ${subject} and ${where}`;
  return sql`
    ${id('bounds')} as (
      select ${dayStart(first, tz)} as w_start, ${dayStart(sql`(${last} + 1)`, tz)} as w_end
    ),
    ${id('runs')} as (
      ${clipped(sql`r.started_at >= b.w_start - interval '1 day' and r.started_at < b.w_end`)}
      union all
      ${clipped(sql`r.started_at < b.w_start - interval '1 day' and (r.ended_at is null or r.ended_at - r.started_at > interval '1 day')`)}
    ),
    ${id('pieces')} as (
      select c.session_id, c.subject_id, d.day::date as day,
        extract(epoch from least(c.e, (d.day + interval '1 day') at time zone ${tz}) - greatest(c.s, d.day at time zone ${tz})) * 1000 as ms
      from ${id('runs')} c
      cross join lateral generate_series(
        date_trunc('day', c.s at time zone ${tz}), (c.e - interval '1 microsecond') at time zone ${tz}, interval '1 day'
      ) as d(day)
      where c.e > c.s
    ),
    ${id('cells')} as (
      select day, subject_id, floor(sum(ms) / 1000)::int as seconds, count(distinct session_id)::int as sessions
      from ${id('pieces')} where ms > 0
      group by day, subject_id
    ),
    ${id('days')} as (
      select day, sum(seconds)::int as seconds from ${id('cells')} group by day
    )`;
}

/** Streaks (gaps and islands) over a window's `days` CTE: one row per run of days with at least `min` seconds. */
function islandsCte(name: string, min: number): RawBuilder<unknown> {
  return sql`
    ${sql.id(`${name}_islands`)} as (
      select min(day) as first_day, max(day) as last_day, count(*)::int as len
      from (
        select day, day - (row_number() over (order by day))::int as island
        from ${sql.id(`${name}_days`)} where seconds >= ${min}
      ) q
      group by island
    )`;
}

const TZ = (timeZone: string) => sql`${timeZone}::text`;

/**
 * Every figure of `studyStats` in one statement: the days of the range with their subjects, the
 * range's subjects, completed POMODOROs, the streaks, and the goal with today's and this week's
 * progress (all subjects, whatever `subjectId`). Fails with SQLSTATE 22023 for a time zone
 * PostgreSQL does not know (the service checks names first).
 */
export async function queryStats(db: Kysely<Database>, q: StatsQuery): Promise<StatsRow> {
  return withoutJit(db, async (trx) => (await statsStatement(q).execute(trx)).rows[0]!.stats);
}

/**
 * Runs `fn` in a transaction with JIT compilation off. The planner guesses 1,000 rows for each
 * call of `generate_series` (one per stretch, where the truth is one or two), which lifts the
 * estimated cost of these statements past `jit_above_cost`: the server would then spend about
 * 1.8 s compiling a statement that runs in 25 ms (measured by `npm run bench:stats`).
 */
async function withoutJit<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return fn(trx);
  });
}

/** The statement {@link queryStats} runs (exported for the benchmark's EXPLAIN). */
export function statsStatement(q: StatsQuery): RawBuilder<{ stats: StatsRow }> {
  const tz = TZ(q.timeZone);
  const today = sql`((${q.now}::timestamptz at time zone ${tz})::date)`;
  // The current streak is the one ending today (or yesterday, today not yet studied enough), or,
  // for a range that ended before today, the one ending on its last day.
  const anchor = sql`least(${date(q.to)}, ${today})`;
  const windowFrom = sql`(least(${date(q.from)}, ${anchor}) - ${q.lookbackDays}::int)`;
  const weekStart = sql`(select week_start from users where id = ${q.userId})`;
  const weekFrom = sql`(${today} - ((extract(isodow from ${today})::int - ${weekStart} + 7) % 7))`;
  const everySubject = { ...q, subjectId: undefined };
  const rangeStart = dayStart(date(q.from), tz);
  const rangeEnd = dayStart(sql`(${date(q.to)} + 1)`, tz);
  const subjectOnly = q.subjectId === undefined ? sql`` : sql`and s.subject_id = ${q.subjectId}`;
  const inRange = sql`day between ${date(q.from)} and ${date(q.to)}`;
  // Subjects in the order `subjects` lists them, after the most studied.
  const subjectEntries = sql`coalesce(json_agg(json_build_object('subjectId', c.subject_id, 'seconds', c.seconds, 'sessions', c.sessions)
      order by c.seconds desc, sub.created_at, sub.created_seq), '[]'::json)`;

  return sql<{ stats: StatsRow }>`
    with
    ${windowCtes('w', q, tz, windowFrom, date(q.to))},
    ${islandsCte('w', q.minDailySeconds)},
    ${windowCtes('g', everySubject, tz, weekFrom, today)},
    day_subjects as (
      select c.day, ${subjectEntries} as list
      from w_cells c join subjects sub on sub.id = c.subject_id
      where c.seconds > 0 and c.${inRange} group by c.day
    ),
    range_subjects as (
      select c.subject_id, c.seconds, p.sessions
      from (select subject_id, sum(seconds)::int as seconds from w_cells where ${inRange} group by subject_id) c
      join (select subject_id, count(distinct session_id)::int as sessions from w_pieces where ms > 0 and ${inRange} group by subject_id) p
        using (subject_id)
      where c.seconds > 0
    ),
    current_day as (
      select case
        when ${date(q.to)} < ${today} then ${date(q.to)}
        when exists (select 1 from w_days where day = ${today} and seconds >= ${q.minDailySeconds}) then ${today}
        else ${today} - 1
      end as day
    )
    select json_build_object(
      'days', (
        select json_agg(json_build_object(
          'date', to_char(d.day, 'YYYY-MM-DD'),
          'seconds', coalesce(wd.seconds, 0),
          'bySubject', coalesce(ds.list, '[]'::json)
        ) order by d.day)
        from generate_series(${date(q.from)}::timestamp, ${date(q.to)}::timestamp, interval '1 day') as d(day)
        left join w_days wd on wd.day = d.day::date
        left join day_subjects ds on ds.day = d.day::date
      ),
      'bySubject', (select ${subjectEntries} from range_subjects c join subjects sub on sub.id = c.subject_id),
      'subjects', (
        select coalesce(json_agg(json_build_object('id', sub.id, 'name', sub.name, 'createdAt', sub.created_at, 'color', sub.color, 'archivedAt', sub.archived_at)), '[]'::json)
        from subjects sub where sub.id in (select subject_id from w_cells where ${inRange})
      ),
      'completedPomodoros', (
        select count(*)::int from study_sessions s
        where s.user_id = ${q.userId} and s.status = 'COMPLETED' and s.type = 'POMODORO' ${subjectOnly}
          and s.ended_at >= ${rangeStart} and s.ended_at < ${rangeEnd}
      ),
      'windowFrom', to_char(${windowFrom}, 'YYYY-MM-DD'),
      'current', (
        select json_build_object('days', coalesce(max(i.len), 0), 'firstDay', to_char(max(i.first_day), 'YYYY-MM-DD'))
        from w_islands i where i.last_day = (select day from current_day)
      ),
      'longestDays', (select coalesce(max(len), 0) from w_islands where last_day between ${date(q.from)} and ${date(q.to)}),
      'edgeDays', (
        select max(len) from w_islands
        where first_day = ${windowFrom} and last_day between ${date(q.from)} and ${date(q.to)}
      ),
      'goal', (
        select json_build_object(
          'dailyMinutes', u.daily_goal_minutes,
          'weeklyMinutes', u.weekly_goal_minutes,
          'dailyProgressSeconds', coalesce((select sum(seconds) from g_days where day = ${today}), 0),
          'weeklyProgressSeconds', coalesce((select sum(seconds) from g_days), 0)
        ) from users u where u.id = ${q.userId}
      )
    ) as stats
  `;
}

/**
 * The number of consecutive days, ending on `last`, with at least `min` seconds each, looking
 * back `lookbackDays` days; `reachesWindowStart` when every one of them qualifies, so that the
 * streak may go back further (the caller asks again from the day before).
 */
export async function streakEndingOn(
  db: Kysely<Database>,
  q: Pick<StatsQuery, 'userId' | 'subjectId' | 'timeZone' | 'now' | 'minDailySeconds' | 'lookbackDays'> & { last: CalendarDate },
): Promise<{ days: number; reachesWindowStart: boolean }> {
  const tz = TZ(q.timeZone);
  const first = sql`(${date(q.last)} - ${q.lookbackDays - 1}::int)`;
  const { rows } = await withoutJit(db, (trx) =>
    sql<{ days: number; reaches: boolean }>`
      with
      ${windowCtes('w', q, tz, first, date(q.last))},
      ${islandsCte('w', q.minDailySeconds)}
      select coalesce(max(len), 0)::int as days, coalesce(bool_or(first_day = ${first}), false) as reaches
      from w_islands where last_day = ${date(q.last)}
    `.execute(trx),
  );
  return { days: rows[0]!.days, reachesWindowStart: rows[0]!.reaches };
}

/**
 * The IANA time-zone names PostgreSQL knows (`pg_timezone_names`), without the `posix/` and
 * `right/` copies and the system's `localtime`/`posixrules`. Slow (it reads the whole zone
 * database: about 150 ms on a server): the service asks once.
 */
export async function listTimeZoneNames(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select name from pg_timezone_names
    where name !~ '^(posix|right)/' and name not in ('localtime', 'posixrules')
  `.execute(db);
  return rows.map((r) => r.name);
}
