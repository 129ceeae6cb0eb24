import { SUBJECT_NOT_FOUND_MESSAGE } from '../src/errors.js';
import { StudyStatsService } from '../src/stats/stats.service.js';
import { graphql } from './__generated__/index.js';
import type { StudyStatsQuery, StudyStatsQueryVariables } from './__generated__/graphql.js';
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
} from './support/fixtures.js';
import { ManualClock } from './support/manual-clock.js';
import { startTestServer, type TestServer } from './support/server.js';

// studyStats, setStudyGoal and the viewer's settings over HTTP. The clock only moves forward and
// the tests are laid out in calendar order (January to December 2026), each moving it to the
// absolute instants it needs. Expected figures are worked out by hand from the instants and the
// zones' rules (CET = UTC+1, CEST = UTC+2; Berlin changes on the last Sundays of March and
// October; Kolkata is UTC+5:30, New York UTC-5 in winter), not read back from the API.

const STUDY_STATS = graphql(`
  query StudyStats($from: Date!, $to: Date!, $timeZone: String!, $subjectId: ID, $minDailySeconds: Int) {
    studyStats(from: $from, to: $to, timeZone: $timeZone, subjectId: $subjectId, minDailySeconds: $minDailySeconds) {
      totalSeconds
      days { date seconds bySubject { subject { id name } seconds sessions } }
      bySubject { subject { id name } seconds sessions }
      completedPomodoros
      currentStreakDays
      longestStreakDays
      goal { dailyMinutes weeklyMinutes dailyProgressSeconds weeklyProgressSeconds }
    }
  }
`);
const SET_STUDY_GOAL = graphql(`
  mutation SetStudyGoal($dailyMinutes: Int, $weeklyMinutes: Int) {
    setStudyGoal(dailyMinutes: $dailyMinutes, weeklyMinutes: $weeklyMinutes) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }
  }
`);
const MY_SETTINGS = graphql(`query MySettings { me { id settings { timeZone weekStart goal { dailyMinutes weeklyMinutes } } } }`);

type Stats = StudyStatsQuery['studyStats'];

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ clock: new ManualClock({ start: '2026-01-01T00:00:00.000Z' }), env: { ACCESS_TOKEN_TTL_SECONDS: '86400' } });
});
afterAll(() => t.close());

/** Moves the clock forward to `iso` (never back: tests run in calendar order). */
function moveTo(iso: string): void {
  const ms = Date.parse(iso) - t.clock.now().getTime();
  if (ms < 0) throw new Error(`the clock is already past ${iso}`);
  t.clock.advance(ms);
}

/** A new student with subjects by these names, signed up at the clock's instant. */
async function student(...subjects: string[]): Promise<{ student: Student; subjects: string[] }> {
  const s = await signUpStudent(t.client());
  const ids: string[] = [];
  for (const name of subjects) ids.push(await createSubject(s, name));
  return { student: s, subjects: ids };
}

/** The student with an access token issued now (tokens live a day; some tests span weeks). */
async function fresh(s: Student): Promise<Student> {
  const { logIn } = await t.client().ok(LOG_IN, { input: { email: s.email, password: PASSWORD } });
  return { ...s, client: t.client().withToken(logIn.accessToken), accessToken: logIn.accessToken };
}

/** Starts a session now, with a fresh token; returns its id. */
async function begin(s: Student, subjectId: string, type: 'FREE' | 'POMODORO' = 'FREE'): Promise<string> {
  const input = { subjectId, type, ...(type === 'POMODORO' && { focusMinutes: 25 }) };
  return (await (await fresh(s)).client.ok(START_SESSION, { input })).startSession.id;
}

/** Stops a session now, with a fresh token. */
async function end(s: Student, id: string): Promise<void> {
  await (await fresh(s)).client.ok(STOP_SESSION, { id });
}

/** A FREE session on `subjectId` running from `startIso` for `seconds`, then stopped. */
async function studyAt(s: Student, subjectId: string, startIso: string, seconds: number): Promise<string> {
  moveTo(startIso);
  const id = await begin(s, subjectId);
  t.clock.advanceSeconds(seconds);
  await end(s, id);
  return id;
}

async function stats(s: Student, variables: StudyStatsQueryVariables): Promise<Stats> {
  return (await (await fresh(s)).client.ok(STUDY_STATS, variables)).studyStats;
}

/** The days of an answer as [date, seconds] pairs. */
const daySeconds = (answer: Stats) => answer.days.map((d) => [d.date, d.seconds]);

describe('a stretch across local midnight', () => {
  it('is split at midnight in the requested zone, so the zone decides which days get the time', async () => {
    const { student: s, subjects } = await student('Algebra');
    // 22:30Z–23:30Z on 10 January: 23:30–00:30 in Berlin, 04:00–05:00 on the 11th in Kolkata.
    await studyAt(s, subjects[0]!, '2026-01-10T22:30:00.000Z', 3600);
    const range = { from: '2026-01-10', to: '2026-01-11' };

    expect(daySeconds(await stats(s, { ...range, timeZone: 'Europe/Berlin' }))).toEqual([['2026-01-10', 1800], ['2026-01-11', 1800]]);
    expect(daySeconds(await stats(s, { ...range, timeZone: 'UTC' }))).toEqual([['2026-01-10', 3600], ['2026-01-11', 0]]);
    expect(daySeconds(await stats(s, { ...range, timeZone: 'Asia/Kolkata' }))).toEqual([['2026-01-10', 0], ['2026-01-11', 3600]]);
  });

  it('counts 30 minutes on each side of midnight before the last Sunday of March, and 23 hours on that Sunday', async () => {
    const night = await student('Physics');
    const wholeDay = await student('Physics');
    // Saturday 28 March 23:30 CET is 22:30Z; Sunday 00:00 CET is 23:00Z; 00:30 CET is 23:30Z.
    moveTo('2026-03-28T22:30:00.000Z');
    const a = await begin(night.student, night.subjects[0]!);
    moveTo('2026-03-28T23:00:00.000Z');
    const b = await begin(wholeDay.student, wholeDay.subjects[0]!);
    moveTo('2026-03-28T23:30:00.000Z');
    await end(night.student, a);
    // Monday 30 March 00:00 CEST is 22:00Z on Sunday: the Sunday had 23 hours.
    moveTo('2026-03-29T22:00:00.000Z');
    await end(wholeDay.student, b);

    const range = { from: '2026-03-28', to: '2026-03-30', timeZone: 'Europe/Berlin' };
    const nightStats = await stats(night.student, range);
    expect(daySeconds(nightStats)).toEqual([['2026-03-28', 1800], ['2026-03-29', 1800], ['2026-03-30', 0]]);
    expect(nightStats.totalSeconds).toBe(3600);
    const dayStats = await stats(wholeDay.student, range);
    expect(daySeconds(dayStats)).toEqual([['2026-03-28', 0], ['2026-03-29', 23 * 3600], ['2026-03-30', 0]]);
  });

  it('counts 30 minutes on each side of midnight before the last Sunday of October, and 25 hours on that Sunday', async () => {
    const night = await student('Physics');
    const wholeDay = await student('Physics');
    // Saturday 24 October 23:30 CEST is 21:30Z; Sunday 00:00 CEST is 22:00Z; 00:30 CEST is 22:30Z.
    moveTo('2026-10-24T21:30:00.000Z');
    const a = await begin(night.student, night.subjects[0]!);
    moveTo('2026-10-24T22:00:00.000Z');
    const b = await begin(wholeDay.student, wholeDay.subjects[0]!);
    moveTo('2026-10-24T22:30:00.000Z');
    await end(night.student, a);
    // Monday 26 October 00:00 CET is 23:00Z on Sunday: the Sunday had 25 hours.
    moveTo('2026-10-25T23:00:00.000Z');
    await end(wholeDay.student, b);

    const range = { from: '2026-10-24', to: '2026-10-26', timeZone: 'Europe/Berlin' };
    expect(daySeconds(await stats(night.student, range))).toEqual([['2026-10-24', 1800], ['2026-10-25', 1800], ['2026-10-26', 0]]);
    expect(daySeconds(await stats(wholeDay.student, range))).toEqual([['2026-10-24', 0], ['2026-10-25', 25 * 3600], ['2026-10-26', 0]]);
  });
});

describe('a range', () => {
  it('lists every date, days without study included, with subjects most studied first and totals that add up', async () => {
    const { student: s, subjects } = await student('Algebra', 'History');
    const [algebra, history] = subjects as [string, string];
    // 2 November: Algebra 20 min; History 10 min, paused for an hour, 5 min more. 4 November: History 45 min.
    await studyAt(s, algebra, '2026-11-02T08:00:00.000Z', 1200);
    moveTo('2026-11-02T10:00:00.000Z');
    const h = await begin(s, history);
    const { client } = await fresh(s);
    t.clock.advanceSeconds(600);
    await client.ok(PAUSE_SESSION, { id: h });
    t.clock.advanceSeconds(3600);
    await client.ok(RESUME_SESSION, { id: h });
    t.clock.advanceSeconds(300);
    await client.ok(STOP_SESSION, { id: h });
    await studyAt(s, history, '2026-11-04T15:00:00.000Z', 2700);

    const answer = await stats(s, { from: '2026-11-01', to: '2026-11-05', timeZone: 'UTC' });
    const A = { id: algebra, name: 'Algebra' };
    const H = { id: history, name: 'History' };
    expect(answer).toEqual({
      totalSeconds: 1200 + 900 + 2700,
      days: [
        { date: '2026-11-01', seconds: 0, bySubject: [] },
        { date: '2026-11-02', seconds: 2100, bySubject: [{ subject: A, seconds: 1200, sessions: 1 }, { subject: H, seconds: 900, sessions: 1 }] },
        { date: '2026-11-03', seconds: 0, bySubject: [] },
        { date: '2026-11-04', seconds: 2700, bySubject: [{ subject: H, seconds: 2700, sessions: 1 }] },
        { date: '2026-11-05', seconds: 0, bySubject: [] },
      ],
      bySubject: [{ subject: H, seconds: 3600, sessions: 2 }, { subject: A, seconds: 1200, sessions: 1 }],
      completedPomodoros: 0,
      // Today is 4 November (the clock stands at 15:45Z): 4 November alone, 2 and 4 not adjacent.
      currentStreakDays: 1,
      longestStreakDays: 1,
      goal: { dailyMinutes: null, weeklyMinutes: null, dailyProgressSeconds: 2700, weeklyProgressSeconds: 4800 },
    });
  });

  it('clips stretches at its first and last local midnight, and shows one subject when asked', async () => {
    const { student: s, subjects } = await student('Algebra', 'History');
    const [algebra, history] = subjects as [string, string];
    await studyAt(s, algebra, '2026-11-06T23:00:00.000Z', 7200); // 6th 23:00 → 7th 01:00 UTC
    await studyAt(s, history, '2026-11-07T12:00:00.000Z', 600);
    await studyAt(s, algebra, '2026-11-07T23:30:00.000Z', 3600); // 7th 23:30 → 8th 00:30 UTC

    const all = await stats(s, { from: '2026-11-07', to: '2026-11-07', timeZone: 'UTC' });
    expect(daySeconds(all)).toEqual([['2026-11-07', 3600 + 600 + 1800]]);
    const onlyAlgebra = await stats(s, { from: '2026-11-07', to: '2026-11-07', timeZone: 'UTC', subjectId: algebra });
    expect(onlyAlgebra.totalSeconds).toBe(3600 + 1800);
    expect(onlyAlgebra.bySubject).toEqual([{ subject: { id: algebra, name: 'Algebra' }, seconds: 5400, sessions: 2 }]);
  });

  it('counts the running session up to the server clock, and more as the clock moves', async () => {
    const { student: s, subjects } = await student('Algebra');
    moveTo('2026-11-10T09:00:00.000Z');
    await begin(s, subjects[0]!);
    t.clock.advance(90_500);
    expect((await stats(s, { from: '2026-11-10', to: '2026-11-10', timeZone: 'UTC' })).totalSeconds).toBe(90);
    t.clock.advanceSeconds(60);
    expect((await stats(s, { from: '2026-11-10', to: '2026-11-10', timeZone: 'UTC' })).totalSeconds).toBe(150);
  });

  it('counts an expired POMODORO nobody has stopped up to its completion instant, and as completed', async () => {
    const { student: s, subjects } = await student('Algebra');
    moveTo('2026-11-11T09:00:00.000Z');
    const id = await begin(s, subjects[0]!, 'POMODORO');
    t.clock.advanceSeconds(3 * 3600);
    const answer = await stats(s, { from: '2026-11-11', to: '2026-11-11', timeZone: 'UTC' });
    expect({ total: answer.totalSeconds, completed: answer.completedPomodoros }).toEqual({ total: 1500, completed: 1 });
    const row = await t.db.handle.db.selectFrom('study_sessions').select(['status', 'ended_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'COMPLETED', ended_at: new Date('2026-11-11T09:25:00.000Z') });
  });

  it('counts completed POMODOROs on the local day of their completion, not stopped ones', async () => {
    const { student: s, subjects } = await student('Algebra');
    // Started 22:50Z on the 12th, completed 23:15Z: the 13th in Berlin (00:15 CET).
    moveTo('2026-11-12T22:50:00.000Z');
    await begin(s, subjects[0]!, 'POMODORO');
    moveTo('2026-11-13T08:00:00.000Z');
    const stopped = await begin(s, subjects[0]!, 'POMODORO');
    t.clock.advanceSeconds(60);
    await end(s, stopped);

    const berlin = (from: string) => stats(s, { from, to: from, timeZone: 'Europe/Berlin' });
    expect((await berlin('2026-11-12')).completedPomodoros).toBe(0);
    expect((await berlin('2026-11-13')).completedPomodoros).toBe(1);
    expect((await stats(s, { from: '2026-11-12', to: '2026-11-12', timeZone: 'UTC' })).completedPomodoros).toBe(1);
  });
});

describe('streaks', () => {
  // Studied 1–3 December (60 s or more), 59 s on the 4th, 5–6 December again; today is Monday 7 December.
  let s: Student;
  let subject: string;
  beforeAll(async () => {
    moveTo('2026-11-30T12:00:00.000Z');
    const made = await student('Algebra');
    s = made.student;
    subject = made.subjects[0]!;
    for (const [day, seconds] of [['01', 60], ['02', 300], ['03', 61], ['04', 59], ['05', 600], ['06', 60]] as const) {
      await studyAt(s, subject, `2026-12-${day}T10:00:00.000Z`, seconds);
    }
    moveTo('2026-12-07T08:00:00.000Z');
  });

  const streaks = async (variables: Partial<StudyStatsQueryVariables> = {}) => {
    const answer = await stats(s, { from: '2026-12-01', to: '2026-12-07', timeZone: 'UTC', ...variables });
    return [answer.currentStreakDays, answer.longestStreakDays];
  };

  it('keeps the current streak alive from yesterday while today has not reached minDailySeconds', async () => {
    expect(await streaks()).toEqual([2, 3]);
  });

  it('counts days from minDailySeconds on: 59 s is a day with minDailySeconds 59', async () => {
    expect(await streaks({ minDailySeconds: 59 })).toEqual([6, 6]);
  });

  it('looks back before `from` for the current and the longest streak', async () => {
    expect(await streaks({ from: '2026-12-06', minDailySeconds: 59 })).toEqual([6, 6]);
    expect(await streaks({ from: '2026-12-03', to: '2026-12-03' })).toEqual([3, 3]);
  });

  it('ends the current streak on `to` for a range that ended before today', async () => {
    expect(await streaks({ to: '2026-12-02' })).toEqual([2, 2]);
    expect(await streaks({ from: '2026-12-04', to: '2026-12-04' })).toEqual([0, 0]);
  });

  it('counts today once it reaches minDailySeconds', async () => {
    await studyAt(s, subject, '2026-12-07T09:00:00.000Z', 60);
    expect(await streaks()).toEqual([3, 3]);
    expect(await streaks({ minDailySeconds: 59 })).toEqual([7, 7]);
  });

  it('follows a streak beyond the lookback window a window at a time, with the same answer', async () => {
    const shortSighted = new StudyStatsService(t.db.handle.db, t.clock, t.server.services.sessions, { streakLookbackDays: 2 });
    const answer = await shortSighted.stats(s.userId, { from: '2026-12-07', to: '2026-12-07', timeZone: 'UTC', minDailySeconds: 59 });
    expect([answer.currentStreakDays, answer.longestStreakDays]).toEqual([7, 7]);
    const past = await shortSighted.stats(s.userId, { from: '2026-12-06', to: '2026-12-06', timeZone: 'UTC', minDailySeconds: 59 });
    expect([past.currentStreakDays, past.longestStreakDays]).toEqual([6, 6]);
  });
});

describe('goals and settings', () => {
  it('start with no goal and weeks from Monday', async () => {
    const { student: s } = await student();
    expect((await s.client.ok(MY_SETTINGS)).me.settings).toEqual({ timeZone: null, weekStart: 'MONDAY', goal: { dailyMinutes: null, weeklyMinutes: null } });
  });

  it('are set together, shown in settings and in studyStats with today’s and this week’s progress over every subject', async () => {
    const { student: s, subjects } = await student('Algebra', 'History');
    const [algebra, history] = subjects as [string, string];
    // Sunday 13 December 10 min; Monday 14 December Algebra 20 min and History 5 min; now Monday 13:00Z.
    await studyAt(s, algebra, '2026-12-13T10:00:00.000Z', 600);
    await studyAt(s, algebra, '2026-12-14T10:00:00.000Z', 1200);
    await studyAt(s, history, '2026-12-14T12:00:00.000Z', 300);
    moveTo('2026-12-14T13:00:00.000Z');
    const client = (await fresh(s)).client;

    const set = await client.ok(SET_STUDY_GOAL, { dailyMinutes: 30, weeklyMinutes: 300 });
    expect(set.setStudyGoal).toEqual({ timeZone: null, weekStart: 'MONDAY', goal: { dailyMinutes: 30, weeklyMinutes: 300 } });
    expect((await client.ok(MY_SETTINGS)).me.settings.goal).toEqual({ dailyMinutes: 30, weeklyMinutes: 300 });

    const onlyHistory = await stats(s, { from: '2026-12-14', to: '2026-12-14', timeZone: 'UTC', subjectId: history });
    expect(onlyHistory.totalSeconds).toBe(300);
    expect(onlyHistory.goal).toEqual({ dailyMinutes: 30, weeklyMinutes: 300, dailyProgressSeconds: 1500, weeklyProgressSeconds: 1500 });

    // A week that starts on Sunday takes in the 13th too.
    await t.db.handle.db.updateTable('users').set({ week_start: 7 }).where('id', '=', s.userId).execute();
    expect((await client.ok(MY_SETTINGS)).me.settings.weekStart).toBe('SUNDAY');
    expect((await stats(s, { from: '2026-12-14', to: '2026-12-14', timeZone: 'UTC' })).goal.weeklyProgressSeconds).toBe(2100);

    const cleared = await client.ok(SET_STUDY_GOAL, { weeklyMinutes: 120 });
    expect(cleared.setStudyGoal.goal).toEqual({ dailyMinutes: null, weeklyMinutes: 120 });
  });

  it.each([
    [{ dailyMinutes: 0 }, 'dailyMinutes', 'dailyMinutes must be between 1 and 1440'],
    [{ dailyMinutes: 1441 }, 'dailyMinutes', 'dailyMinutes must be between 1 and 1440'],
    [{ dailyMinutes: 30, weeklyMinutes: 10_081 }, 'weeklyMinutes', 'weeklyMinutes must be between 1 and 10080'],
    [{ weeklyMinutes: -5 }, 'weeklyMinutes', 'weeklyMinutes must be between 1 and 10080'],
  ])('refuses %j with BAD_USER_INPUT on %s, changing nothing', async (variables, field, message) => {
    const { student: s } = await student();
    await s.client.ok(SET_STUDY_GOAL, { dailyMinutes: 20, weeklyMinutes: 100 });
    const before = await snapshotDatabase(t.db.handle.db);
    const error = await s.client.fail(SET_STUDY_GOAL, variables);
    expect({ message: error.message, extensions: error.extensions }).toEqual({ message, extensions: { code: 'BAD_USER_INPUT', field } });
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
  });
});

describe('bad input and ownership', () => {
  let s: Student;
  let subject: string;
  beforeAll(async () => {
    const made = await student('Algebra');
    s = made.student;
    subject = made.subjects[0]!;
    await studyAt(s, subject, '2026-12-20T10:00:00.000Z', 600);
    s = await fresh(s);
  });

  const ok = { from: '2026-12-01', to: '2026-12-20', timeZone: 'Europe/Berlin' };
  const badInput = (field: string, message: string) => ({ message, extensions: { code: 'BAD_USER_INPUT', field } });

  it.each<[string, Partial<StudyStatsQueryVariables>, ReturnType<typeof badInput>]>([
    ['an unknown zone', { timeZone: 'Mars/Olympus_Mons' }, badInput('timeZone', 'timeZone must be an IANA time-zone name, such as Europe/Berlin')],
    ['a zone in the wrong case', { timeZone: 'europe/berlin' }, badInput('timeZone', 'timeZone must be an IANA time-zone name, such as Europe/Berlin')],
    ['a POSIX offset', { timeZone: 'UTC+3' }, badInput('timeZone', 'timeZone must be an IANA time-zone name, such as Europe/Berlin')],
    ['an abbreviation', { timeZone: 'PST' }, badInput('timeZone', 'timeZone must be an IANA time-zone name, such as Europe/Berlin')],
    ['the system zone', { timeZone: 'localtime' }, badInput('timeZone', 'timeZone must be an IANA time-zone name, such as Europe/Berlin')],
    ['from after to', { from: '2026-12-21', to: '2026-12-20' }, badInput('to', 'to must not be before from')],
    ['367 days', { from: '2025-12-01', to: '2026-12-02' }, badInput('to', 'the range must be at most 366 days')],
    ['minDailySeconds 0', { minDailySeconds: 0 }, badInput('minDailySeconds', 'minDailySeconds must be between 1 and 86400')],
    ['minDailySeconds 86401', { minDailySeconds: 86_401 }, badInput('minDailySeconds', 'minDailySeconds must be between 1 and 86400')],
    ['a malformed subject id', { subjectId: 'not-an-id' }, badInput('subjectId', 'subjectId is not a valid id')],
  ])('refuses %s with BAD_USER_INPUT, changing nothing', async (_what, variables, expected) => {
    const before = await snapshotDatabase(t.db.handle.db);
    const error = await s.client.fail(STUDY_STATS, { ...ok, ...variables });
    expect({ message: error.message, extensions: error.extensions }).toEqual(expected);
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
  });

  it.each([
    ['2026-02-30', 'from'],
    ['2026-2-01', 'from'],
    ['0000-01-01', 'to'],
    ['2026-12-01T00:00:00Z', 'to'],
  ])('refuses the date %s in $%s with BAD_USER_INPUT, changing nothing', async (value, variable) => {
    const before = await snapshotDatabase(t.db.handle.db);
    const error = await s.client.fail(STUDY_STATS, { ...ok, [variable]: value });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe(
      `Variable "$${variable}" got invalid value "${value}"; Date must be a calendar date as YYYY-MM-DD (years 0001 to 9999): "${value}"`,
    );
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
  });

  it('accepts 366 days (a leap year) and answers each of them', async () => {
    const answer = await s.client.ok(STUDY_STATS, { from: '2028-01-01', to: '2028-12-31', timeZone: 'UTC' });
    expect(answer.studyStats.days).toHaveLength(366);
    expect(answer.studyStats.days.at(-1)!.date).toBe('2028-12-31');
  });

  it('answers a foreign and a missing subject alike with NOT_FOUND, changing nothing', async () => {
    const other = await student('Secret');
    const before = await snapshotDatabase(t.db.handle.db);
    const foreign = await s.client.fail(STUDY_STATS, { ...ok, subjectId: other.subjects[0]! });
    const missing = await s.client.fail(STUDY_STATS, { ...ok, subjectId: '00000000-0000-4000-8000-000000000000' });
    expect(foreign).toEqual(missing);
    expect({ message: foreign.message, extensions: foreign.extensions }).toEqual({ message: SUBJECT_NOT_FOUND_MESSAGE, extensions: { code: 'NOT_FOUND' } });
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const error = await t.client().fail(STUDY_STATS, ok);
    expect(error.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'missing' });
  });
});
