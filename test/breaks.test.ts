import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { SUBJECT_NOT_FOUND_MESSAGE } from '../src/errors.js';
import { graphql } from './__generated__/index.js';
import type { BreakStatsQueryVariables, StartSessionInput } from './__generated__/graphql.js';
import { snapshotDatabase } from './support/database.js';
import {
  createSubject,
  LOG_IN,
  PASSWORD,
  PAUSE_SESSION,
  RESUME_SESSION,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
  TIMER_UPDATED,
} from './support/fixtures.js';
import { ManualClock } from './support/manual-clock.js';
import { startTestServer, type TestServer } from './support/server.js';
import { collect, connectStudent, disposeSockets, eventually, within } from './support/ws-client.js';

// Pomodoro breaks over HTTP (and one live timer over graphql-ws): BREAK sessions, the nextBreak
// suggestion on a completed pomodoro and on the viewer, the break settings, and statistics that
// never count a break. The clock is frozen and only moves forward; each test takes a new student
// (and, where local days matter, the next day), so the tests do not depend on each other.

const BREAK_FIELDS = graphql(`
  fragment BreakSessionFields on StudySession {
    id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt subject { id } nextBreak { kind minutes }
  }
`);
const START = graphql(`mutation StartBreak($input: StartSessionInput!) { startSession(input: $input) { ...BreakSessionFields } }`);
const READ = graphql(`query ReadBreak($id: ID!) { session(id: $id) { ...BreakSessionFields } }`);
const NEXT_BREAK = graphql(`query NextBreak { me { id nextBreak { kind minutes } } }`);
const BREAK_SETTINGS = graphql(`query BreakSettings { me { id settings { breaks { shortBreakMinutes longBreakMinutes longBreakEvery } } } }`);
const SET_BREAK_SETTINGS = graphql(`
  mutation SetBreakSettings($shortBreakMinutes: Int, $longBreakMinutes: Int, $longBreakEvery: Int) {
    setBreakSettings(shortBreakMinutes: $shortBreakMinutes, longBreakMinutes: $longBreakMinutes, longBreakEvery: $longBreakEvery) {
      breaks { shortBreakMinutes longBreakMinutes longBreakEvery }
    }
  }
`);
const SET_GOAL = graphql(`mutation BreaksGoal($dailyMinutes: Int) { setStudyGoal(dailyMinutes: $dailyMinutes) { goal { dailyMinutes } } }`);
const STATS = graphql(`
  query BreakStats($from: Date!, $to: Date!, $timeZone: String!, $minDailySeconds: Int) {
    studyStats(from: $from, to: $to, timeZone: $timeZone, minDailySeconds: $minDailySeconds) {
      totalSeconds
      days { date seconds bySubject { subject { id } seconds sessions } }
      bySubject { subject { id } seconds sessions }
      completedPomodoros
      currentStreakDays
      longestStreakDays
      goal { dailyProgressSeconds weeklyProgressSeconds }
    }
  }
`);
void BREAK_FIELDS;

const SHORT = { kind: 'SHORT', minutes: 5 } as const;
const LONG = { kind: 'LONG', minutes: 15 } as const;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    clock: new ManualClock({ start: '2026-02-02T06:00:00.000Z' }),
    env: { ACCESS_TOKEN_TTL_SECONDS: '86400', TICK_INTERVAL_MS: '200', DISCONNECT_GRACE_SECONDS: '0' },
  });
});
afterEach(() => disposeSockets());
afterAll(() => t.close());

const db = () => t.db.handle.db;
/**
 * Every row, once the completion sweep has caught up with the clock: a session of an earlier
 * test whose plan ran out at the last move of the clock would otherwise be completed between
 * the two snapshots of a refused request.
 */
async function snapshot() {
  const now = t.clock.now();
  await eventually(async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from study_sessions
      where status = 'RUNNING' and focus_seconds is not null
        and run_started_at + (focus_seconds * 1000 - accumulated_ms) * interval '1 millisecond' <= ${now}
    `.execute(db());
    return rows[0]!.n === 0;
  }, 5_000, 'the completion sweep to catch up');
  return snapshotDatabase(db());
}
const iso = (ms: number) => new Date(ms).toISOString();

/** Moves the clock to the next UTC midnight plus `hours` (a day no earlier test has touched). */
function nextDay(hours = 0): string {
  const now = t.clock.now().getTime();
  const midnight = Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000;
  t.clock.advance(midnight + hours * 3_600_000 - now);
  return iso(midnight).slice(0, 10);
}

/** Moves the clock forward to `instant`. */
function moveTo(instant: string): void {
  const ms = Date.parse(instant) - t.clock.now().getTime();
  if (ms < 0) throw new Error(`the clock is already past ${instant}`);
  t.clock.advance(ms);
}

/** A new student with one subject. */
async function student(): Promise<{ student: Student; subjectId: string }> {
  const s = await signUpStudent(t.client());
  return { student: s, subjectId: await createSubject(s) };
}

/** The student with an access token issued now (they live a day; some tests move days ahead). */
async function fresh(s: Student): Promise<Student> {
  const { logIn } = await t.client().ok(LOG_IN, { input: { email: s.email, password: PASSWORD } });
  return { ...s, client: t.client().withToken(logIn.accessToken), accessToken: logIn.accessToken };
}

/**
 * Sets the student's time zone in their settings. No operation on this branch sets it (the
 * account work adds `updateSettings`); the column is what `nextBreak` reads.
 */
async function setTimeZone(s: Student, timeZone: string): Promise<void> {
  await db().updateTable('users').set({ time_zone: timeZone }).where('id', '=', s.userId).execute();
}

async function start(s: Student, subjectId: string, input: Omit<StartSessionInput, 'subjectId'>) {
  return (await s.client.ok(START, { input: { subjectId, ...input } })).startSession;
}

async function read(s: Student, id: string) {
  return (await s.client.ok(READ, { id })).session!;
}

async function nextBreak(s: Student) {
  return (await s.client.ok(NEXT_BREAK)).me.nextBreak;
}

/** A 1-minute POMODORO started now and left to run out (the clock moves 60 s); returns its id. */
async function completePomodoro(s: Student, subjectId: string): Promise<string> {
  const { id } = await start(s, subjectId, { type: 'POMODORO', focusMinutes: 1 });
  t.clock.advanceSeconds(60);
  return id;
}

function runsOf(sessionId: string) {
  return db().selectFrom('study_session_runs').selectAll().where('session_id', '=', sessionId).execute();
}

function sessionRow(id: string) {
  return db().selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('a break', () => {
  it('starts RUNNING on the given subject with its length as the plan, and counts down', async () => {
    const { student: s, subjectId } = await student();
    const started = await start(s, subjectId, { type: 'BREAK', breakMinutes: 3 });
    expect(started).toEqual({
      id: started.id,
      type: 'BREAK',
      status: 'RUNNING',
      elapsedSeconds: 0,
      focusSeconds: 180,
      remainingSeconds: 180,
      startedAt: t.clock.now().toISOString(),
      endedAt: null,
      subject: { id: subjectId },
      nextBreak: null,
    });
    t.clock.advance(70_500);
    expect(await read(s, started.id)).toMatchObject({ status: 'RUNNING', elapsedSeconds: 70, remainingSeconds: 110 });
    // Study time only: a break leaves no running stretch behind.
    expect(await runsOf(started.id)).toEqual([]);
  });

  it('completes by itself at the exact instant its minutes are used up, with nobody reading it', async () => {
    const { student: s, subjectId } = await student();
    const started = await start(s, subjectId, { type: 'BREAK', breakMinutes: 1 });
    t.clock.advanceSeconds(75);
    // The completion sweep (every second) writes it; nothing here reads the session meanwhile.
    await eventually(async () => (await sessionRow(started.id)).status === 'COMPLETED', 5_000, 'the sweep to complete the break');
    const row = await sessionRow(started.id);
    expect(row).toMatchObject({ status: 'COMPLETED', accumulated_ms: 60_000, run_started_at: null, paused_reason: null });
    expect(row.ended_at!.toISOString()).toBe(iso(Date.parse(started.startedAt) + 60_000));
    expect(await read(s, started.id)).toMatchObject({
      status: 'COMPLETED',
      elapsedSeconds: 60,
      remainingSeconds: 0,
      endedAt: iso(Date.parse(started.startedAt) + 60_000),
      nextBreak: null,
    });
    expect(await runsOf(started.id)).toEqual([]);
  });

  it('pauses, resumes and stops like any session, its time standing still while paused', async () => {
    const { student: s, subjectId } = await student();
    const { id } = await start(s, subjectId, { type: 'BREAK', breakMinutes: 2 });
    t.clock.advanceSeconds(10);
    expect((await s.client.ok(PAUSE_SESSION, { id })).pauseSession).toMatchObject({ status: 'PAUSED', elapsedSeconds: 10, remainingSeconds: 110 });
    t.clock.advanceSeconds(300);
    expect((await s.client.ok(RESUME_SESSION, { id })).resumeSession).toMatchObject({ status: 'RUNNING', elapsedSeconds: 10 });
    t.clock.advanceSeconds(5);
    expect((await s.client.ok(STOP_SESSION, { id })).stopSession).toMatchObject({ status: 'STOPPED', elapsedSeconds: 15, remainingSeconds: 105 });
    expect(await runsOf(id)).toEqual([]);
  });

  it('is the one unfinished session: a POMODORO is refused while it runs, and a break while a POMODORO runs', async () => {
    const { student: s, subjectId } = await student();
    const rest = await start(s, subjectId, { type: 'BREAK', breakMinutes: 5 });
    const before = await snapshot();
    const refused = await s.client.request(START_SESSION, { input: { subjectId, type: 'POMODORO' } });
    expect(refused.errors?.map((e) => e.extensions)).toEqual([{ code: 'SESSION_ALREADY_ACTIVE', activeSessionId: rest.id }]);
    expect(await snapshot()).toEqual(before);

    await s.client.ok(STOP_SESSION, { id: rest.id });
    const pomodoro = await start(s, subjectId, { type: 'POMODORO' });
    const during = await snapshot();
    const refusedBreak = await s.client.request(START_SESSION, { input: { subjectId, type: 'BREAK', breakMinutes: 5 } });
    expect(refusedBreak.errors?.map((e) => e.extensions)).toEqual([{ code: 'SESSION_ALREADY_ACTIVE', activeSessionId: pomodoro.id }]);
    expect(await snapshot()).toEqual(during);
  });

  it('starts once the POMODORO before it has run out, the completion written first', async () => {
    const { student: s, subjectId } = await student();
    const pomodoro = await completePomodoro(s, subjectId);
    const rest = await start(s, subjectId, { type: 'BREAK' });
    expect(rest).toMatchObject({ type: 'BREAK', status: 'RUNNING', focusSeconds: 300 });
    expect(await read(s, pomodoro)).toMatchObject({ status: 'COMPLETED', nextBreak: SHORT });
  });
});

describe('input', () => {
  let s: Student;
  let subjectId: string;
  beforeAll(async () => {
    ({ student: s, subjectId } = await student());
  });

  const refusals: [string, Omit<StartSessionInput, 'subjectId'>, string, string][] = [
    ['breakMinutes 0', { type: 'BREAK', breakMinutes: 0 }, 'breakMinutes', 'breakMinutes must be between 1 and 60'],
    ['breakMinutes 61', { type: 'BREAK', breakMinutes: 61 }, 'breakMinutes', 'breakMinutes must be between 1 and 60'],
    ['breakMinutes -5', { type: 'BREAK', breakMinutes: -5 }, 'breakMinutes', 'breakMinutes must be between 1 and 60'],
    ['breakMinutes on a POMODORO', { type: 'POMODORO', breakMinutes: 5 }, 'breakMinutes', 'breakMinutes applies to BREAK sessions only'],
    ['breakMinutes on a FREE session', { type: 'FREE', breakMinutes: 5 }, 'breakMinutes', 'breakMinutes applies to BREAK sessions only'],
    ['focusMinutes on a BREAK', { type: 'BREAK', focusMinutes: 25 }, 'focusMinutes', 'focusMinutes applies to POMODORO sessions only'],
  ];
  it.each(refusals)('refuses %s with BAD_USER_INPUT naming the field, and stores nothing', async (_name, input, field, message) => {
    const before = await snapshot();
    const res = await s.client.request(START_SESSION, { input: { subjectId, ...input } });
    expect(res.status).toBe(200);
    expect(res.data).toBeNull();
    expect(res.errors?.map(({ message: m, extensions }) => ({ message: m, extensions }))).toEqual([
      { message, extensions: { code: 'BAD_USER_INPUT', field } },
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('answers a break on a foreign subject and on a missing one with the same NOT_FOUND, and stores nothing', async () => {
    const other = await student();
    const before = await snapshot();
    const foreign = await s.client.request(START_SESSION, { input: { subjectId: other.subjectId, type: 'BREAK', breakMinutes: 5 } });
    const missing = await s.client.request(START_SESSION, { input: { subjectId: randomUUID(), type: 'BREAK', breakMinutes: 5 } });
    expect(foreign.errors?.map(({ message, extensions }) => ({ message, extensions }))).toEqual([
      { message: SUBJECT_NOT_FOUND_MESSAGE, extensions: { code: 'NOT_FOUND' } },
    ]);
    expect({ data: missing.data, errors: missing.errors }).toEqual({ data: foreign.data, errors: foreign.errors });
    expect(await snapshot()).toEqual(before);
  });
});

describe('statistics', () => {
  it('count no break: not in days, totals, subjects, streaks, goal progress or completedPomodoros', async () => {
    const { student: s, subjectId } = await student();
    await s.client.ok(SET_GOAL, { dailyMinutes: 1 });
    // Day one: only a full hour of break, which would make a streak day of its own.
    const dayOne = nextDay(8);
    let c = await fresh(s);
    await start(c, subjectId, { type: 'BREAK', breakMinutes: 60 });
    t.clock.advanceSeconds(3600);
    // Day two: a POMODORO (60 s) and a FREE session (30 s) studied, three breaks around them.
    const dayTwo = nextDay(8);
    c = await fresh(s);
    const completedBreak = await start(c, subjectId, { type: 'BREAK', breakMinutes: 2 });
    t.clock.advanceSeconds(120);
    await completePomodoro(c, subjectId);
    const stopped = await start(c, subjectId, { type: 'BREAK', breakMinutes: 10 });
    t.clock.advanceSeconds(45);
    await c.client.ok(STOP_SESSION, { id: stopped.id });
    const free = await start(c, subjectId, { type: 'FREE' });
    t.clock.advanceSeconds(30);
    await c.client.ok(STOP_SESSION, { id: free.id });
    // One still running when the statistics are read.
    await start(c, subjectId, { type: 'BREAK', breakMinutes: 20 });
    t.clock.advanceSeconds(600);

    const variables: BreakStatsQueryVariables = { from: dayOne, to: dayTwo, timeZone: 'UTC', minDailySeconds: 60 };
    const { studyStats } = await c.client.ok(STATS, variables);
    const studied = { subject: { id: subjectId }, seconds: 90, sessions: 2 };
    expect(studyStats).toEqual({
      totalSeconds: 90,
      days: [
        { date: dayOne, seconds: 0, bySubject: [] },
        { date: dayTwo, seconds: 90, bySubject: [studied] },
      ],
      bySubject: [studied],
      completedPomodoros: 1,
      currentStreakDays: 1,
      longestStreakDays: 1,
      goal: { dailyProgressSeconds: 90, weeklyProgressSeconds: 90 },
    });
    expect((await read(c, completedBreak.id)).status).toBe('COMPLETED');
  });
});

describe('nextBreak', () => {
  it('is SHORT after the 1st to 3rd pomodoro of the local day and LONG after the 4th, on the session and on the viewer', async () => {
    const { student: s, subjectId } = await student();
    nextDay(9);
    const c = await fresh(s);
    expect(await nextBreak(c)).toEqual(SHORT);

    const expected = [SHORT, SHORT, SHORT, LONG, SHORT, SHORT, SHORT, LONG];
    const pomodoros: string[] = [];
    for (const suggestion of expected) {
      pomodoros.push(await completePomodoro(c, subjectId));
      expect((await read(c, pomodoros.at(-1)!)).nextBreak).toEqual(suggestion);
      expect(await nextBreak(c)).toEqual(suggestion);
    }
    // Each counts the pomodoros up to its own completion, whatever came after.
    for (const [i, id] of pomodoros.entries()) expect((await read(c, id)).nextBreak).toEqual(expected[i]);
  });

  it('is what a break started without breakMinutes lasts', async () => {
    const { student: s, subjectId } = await student();
    nextDay(9);
    const c = await fresh(s);
    const lengths: (number | null)[] = [];
    for (let i = 0; i < 5; i++) {
      await completePomodoro(c, subjectId);
      const rest = await start(c, subjectId, { type: 'BREAK' });
      lengths.push(rest.focusSeconds);
      await c.client.ok(STOP_SESSION, { id: rest.id });
    }
    expect(lengths).toEqual([300, 300, 300, 900, 300]);
  });

  it('counts only completed pomodoros: stopped ones, FREE sessions and breaks do not count, and have none', async () => {
    const { student: s, subjectId } = await student();
    nextDay(9);
    const c = await fresh(s);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await completePomodoro(c, subjectId));
    const stopped = await start(c, subjectId, { type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(30);
    await c.client.ok(STOP_SESSION, { id: stopped.id });
    const free = await start(c, subjectId, { type: 'FREE' });
    await c.client.ok(STOP_SESSION, { id: free.id });
    const rest = await start(c, subjectId, { type: 'BREAK', breakMinutes: 1 });
    t.clock.advanceSeconds(60);
    expect(await nextBreak(c)).toEqual(SHORT);
    for (const id of [stopped.id, free.id, rest.id]) expect((await read(c, id)).nextBreak).toBeNull();
    const fourth = await completePomodoro(c, subjectId);
    expect((await read(c, fourth)).nextBreak).toEqual(LONG);
  });

  it('counts the local day in the student\'s time zone, UTC for a student who has chosen none', async () => {
    const kolkata = await student();
    const utc = await student();
    await setTimeZone(kolkata.student, 'Asia/Kolkata');
    // Kolkata is UTC+5:30: its day ends at 18:30Z. Three pomodoros before, one after.
    const day = nextDay(18);
    const students = [kolkata, utc].map(async (x) => ({ ...x, student: await fresh(x.student) }));
    const [k, u] = await Promise.all(students);
    const fourth: Record<string, string> = {};
    for (const [minute, last] of [[20, false], [22, false], [24, false], [31, true]] as const) {
      moveTo(`${day}T18:${minute}:00.000Z`);
      for (const x of [k!, u!]) {
        const { id } = await start(x.student, x.subjectId, { type: 'POMODORO', focusMinutes: 1 });
        if (last) fourth[x.student.userId] = id;
      }
      t.clock.advanceSeconds(60);
    }
    // For Kolkata the 4th is the first of a new local day; in UTC, the 4th of the day.
    expect((await read(k!.student, fourth[k!.student.userId]!)).nextBreak).toEqual(SHORT);
    expect(await nextBreak(k!.student)).toEqual(SHORT);
    expect((await read(u!.student, fourth[u!.student.userId]!)).nextBreak).toEqual(LONG);
    expect(await nextBreak(u!.student)).toEqual(LONG);
  });
});

describe('break settings', () => {
  it('are 5 and 15 minutes, the long one every 4th pomodoro, unless chosen', async () => {
    const { student: s } = await student();
    expect((await s.client.ok(BREAK_SETTINGS)).me.settings.breaks).toEqual({ shortBreakMinutes: 5, longBreakMinutes: 15, longBreakEvery: 4 });
  });

  it('set the minutes and the rhythm of one student only, and go back to the defaults when omitted', async () => {
    const { student: s, subjectId } = await student();
    const other = await student();
    const chosen = { shortBreakMinutes: 3, longBreakMinutes: 20, longBreakEvery: 2 };
    expect((await s.client.ok(SET_BREAK_SETTINGS, chosen)).setBreakSettings.breaks).toEqual(chosen);
    expect((await s.client.ok(BREAK_SETTINGS)).me.settings.breaks).toEqual(chosen);

    nextDay(9);
    const c = await fresh(s);
    const first = await completePomodoro(c, subjectId);
    expect((await read(c, first)).nextBreak).toEqual({ kind: 'SHORT', minutes: 3 });
    const second = await completePomodoro(c, subjectId);
    expect((await read(c, second)).nextBreak).toEqual({ kind: 'LONG', minutes: 20 });
    expect((await start(c, subjectId, { type: 'BREAK' })).focusSeconds).toBe(1200);
    // The other student keeps the defaults.
    expect(await nextBreak(await fresh(other.student))).toEqual(SHORT);

    const defaults = { shortBreakMinutes: 5, longBreakMinutes: 15, longBreakEvery: 4 };
    expect((await c.client.ok(SET_BREAK_SETTINGS, { longBreakMinutes: null })).setBreakSettings.breaks).toEqual(defaults);
    // A suggestion follows the settings as they are now, for sessions completed before too.
    expect((await read(c, second)).nextBreak).toEqual(SHORT);
  });

  const refusals: [Record<string, number>, string, string][] = [
    [{ shortBreakMinutes: 0 }, 'shortBreakMinutes', 'shortBreakMinutes must be between 1 and 60'],
    [{ shortBreakMinutes: 61 }, 'shortBreakMinutes', 'shortBreakMinutes must be between 1 and 60'],
    [{ longBreakMinutes: 0 }, 'longBreakMinutes', 'longBreakMinutes must be between 1 and 60'],
    [{ longBreakMinutes: 61 }, 'longBreakMinutes', 'longBreakMinutes must be between 1 and 60'],
    [{ shortBreakMinutes: 10, longBreakEvery: 0 }, 'longBreakEvery', 'longBreakEvery must be between 1 and 12'],
    [{ longBreakEvery: 13 }, 'longBreakEvery', 'longBreakEvery must be between 1 and 12'],
  ];
  it.each(refusals)('refuse %j with BAD_USER_INPUT naming the field, and change nothing', async (variables, field, message) => {
    const { student: s } = await student();
    await s.client.ok(SET_BREAK_SETTINGS, { shortBreakMinutes: 7, longBreakMinutes: 25, longBreakEvery: 3 });
    const before = await snapshot();
    const res = await s.client.request(SET_BREAK_SETTINGS, variables);
    expect(res.data).toBeNull();
    expect(res.errors?.map(({ message: m, extensions }) => ({ message: m, extensions }))).toEqual([
      { message, extensions: { code: 'BAD_USER_INPUT', field } },
    ]);
    expect(await snapshot()).toEqual(before);
  });
});

describe('live timer', () => {
  it('sends COMPLETED with the exact length when a break runs out, then completes', async () => {
    const { student: s, subjectId } = await student();
    const rest = await start(s, subjectId, { type: 'BREAK', breakMinutes: 1 });
    const ws = await connectStudent(t.origin, s);
    const sub = collect(ws.client, TIMER_UPDATED, { id: rest.id });
    await sub.waitFor(1);
    t.clock.advanceSeconds(61);
    await within(sub.done, 5_000, 'the subscription to complete');
    const updates = sub.results.map((r) => r.data?.timerUpdated);
    expect(updates).toEqual([
      { sessionId: rest.id, status: 'RUNNING', elapsedSeconds: 0, remainingSeconds: 60, serverTime: rest.startedAt },
      { sessionId: rest.id, status: 'COMPLETED', elapsedSeconds: 60, remainingSeconds: 0, serverTime: t.clock.now().toISOString() },
    ]);
    expect(await sessionRow(rest.id)).toMatchObject({ status: 'COMPLETED', accumulated_ms: 60_000 });
  });
});
