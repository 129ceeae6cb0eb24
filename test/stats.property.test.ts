import fc from 'fast-check';
import { graphql } from './__generated__/index.js';
import type { StartSessionInput } from './__generated__/graphql.js';
import type { GraphQLErrorBody } from './support/graphql-client.js';
import {
  createSubject,
  LOG_IN,
  PASSWORD,
  PAUSE_SESSION,
  RESUME_SESSION,
  type SessionIdDocument,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
} from './support/fixtures.js';
import { ManualClock } from './support/manual-clock.js';
import { startTestServer, type TestServer } from './support/server.js';

// Property: whatever a student does (random start, pause, resume and stop of FREE, POMODORO and
// BREAK sessions on two subjects, at random instants to the millisecond) and whatever the zone,
// studyStats' days are the model's study time cut into the zone's local days and restricted to
// the range: the sum of days[].seconds, each day, totalSeconds and completedPomodoros.
//
// The expectation is computed here, not by production code: the model keeps each session's
// running stretches from the rules in the README (a POMODORO or BREAK completes at the instant
// its plan runs out; a running session counts up to now; a BREAK is never study time), and local
// days come from the JavaScript engine's own time-zone data (Intl), not from PostgreSQL's. The
// one rule taken from the SDL is the rounding: milliseconds summed per (day, subject), rounded
// down once there.
//
// Everything goes through the HTTP API of a real server whose clock is frozen and moved only
// between steps. A run may begin just before the zone's next DST change, so that stretches cross
// it (23-, 25-, 23.5- and 24.5-hour days: Lord Howe moves by 30 minutes, Chatham at 2:45).
// Each run has a fresh student. STATS_PROPERTY_SEED=<seed> replays a failure.

const NUM_RUNS = 30;
const STEPS = { minLength: 3, maxLength: 14 };
const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'] as const;
const SEED = process.env.STATS_PROPERTY_SEED === undefined ? undefined : Number(process.env.STATS_PROPERTY_SEED);
/** Log in again once the access token (a day's) is this old, in clock time. */
const RELOGIN_AFTER_MS = 12 * 3_600_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Zone = (typeof ZONES)[number];
type SessionType = 'FREE' | 'POMODORO' | 'BREAK';
type Status = 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'STOPPED';
type Action = { kind: 'start'; type: SessionType; subject: 0 | 1; minutes: number } | { kind: 'pause' | 'resume' | 'stop' };
interface Step {
  advanceMs: number;
  action: Action;
}
interface Plan {
  zone: Zone;
  /** Begin `leadMs` before the zone's next DST change (when it has one), rather than `leadMs` from now. */
  nearTransition: boolean;
  leadMs: number;
  steps: Step[];
  /** The range: from the local date of the first step plus `fromShift`, to today's plus `toShift` (at least `from`). */
  fromShift: number;
  toShift: number;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const advanceArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 90_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 * HOUR }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 20 * HOUR }) },
);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      type: fc.constantFrom<SessionType>('FREE', 'POMODORO', 'BREAK'),
      subject: fc.constantFrom<0 | 1>(0, 1),
      minutes: fc.constantFrom(1, 2, 25),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'stop' as const) }) },
);
const planArb: fc.Arbitrary<Plan> = fc.record({
  zone: fc.constantFrom(...ZONES),
  nearTransition: fc.boolean(),
  leadMs: fc.integer({ min: 0, max: 6 * HOUR }),
  steps: fc.array(fc.record({ advanceMs: advanceArb, action: actionArb }), STEPS),
  fromShift: fc.integer({ min: -1, max: 1 }),
  toShift: fc.integer({ min: -1, max: 1 }),
});

const start = (type: SessionType, subject: 0 | 1 = 0, minutes = 1): Action => ({ kind: 'start', type, subject, minutes });
/** Plans run before the random ones, so that a stretch certainly crosses a 30-minute DST change, a 2:45 one and local midnights. */
const COVERING_PLANS: Plan[] = [
  {
    zone: 'Australia/Lord_Howe',
    nearTransition: true,
    leadMs: HOUR,
    steps: [
      { advanceMs: 0, action: start('FREE', 0) },
      { advanceMs: 2 * HOUR + 123, action: { kind: 'pause' } },
      { advanceMs: 600_000, action: { kind: 'resume' } },
      { advanceMs: 23 * HOUR, action: start('BREAK') }, // refused: one is running
      { advanceMs: 1_001, action: { kind: 'stop' } },
      { advanceMs: 5, action: start('BREAK', 0, 2) },
      { advanceMs: 200_000, action: start('POMODORO', 1, 1) }, // the break has completed
      { advanceMs: 30_500, action: { kind: 'pause' } },
      { advanceMs: 10 * HOUR, action: { kind: 'resume' } },
    ],
    fromShift: 0,
    toShift: 0,
  },
  {
    zone: 'Pacific/Chatham',
    nearTransition: true,
    leadMs: 30 * 60_000,
    steps: [
      { advanceMs: 0, action: start('FREE', 1) },
      { advanceMs: HOUR, action: start('POMODORO', 0, 25) }, // refused: one is running
      { advanceMs: 20 * HOUR + 777, action: { kind: 'stop' } },
      { advanceMs: 1, action: start('POMODORO', 0, 25) }, // still running when the statistics are read
    ],
    fromShift: 1,
    toShift: 0,
  },
];

// ---------------------------------------------------------------------------------------------
// Local days, from Intl

const formatters = new Map<Zone, Intl.DateTimeFormat>();
/** The wall-clock time in `zone` at `instant`, as the UTC instant with the same reading (whole seconds). */
function wallClock(zone: Zone, instant: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(Math.floor(instant / 1000) * 1000)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/** The local date (YYYY-MM-DD) in `zone` at `instant`. */
const localDate = (zone: Zone, instant: number): string => new Date(wallClock(zone, instant)).toISOString().slice(0, 10);
const addDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

const midnights = new Map<string, number>();
/** The instant `date` begins in `zone` (none of the zones changes its clocks at midnight). */
function midnight(zone: Zone, date: string): number {
  const key = `${zone} ${date}`;
  const known = midnights.get(key);
  if (known !== undefined) return known;
  const wall = Date.parse(`${date}T00:00:00Z`);
  let instant = wall;
  for (let i = 0; i < 4; i++) instant = wall - (wallClock(zone, instant) - instant);
  if (wallClock(zone, instant) !== wall) throw new Error(`no midnight found for ${key}`);
  midnights.set(key, instant);
  return instant;
}

const offset = (zone: Zone, instant: number): number => wallClock(zone, instant) - instant;

/** The zone's next change of UTC offset after `from` (to the second), within 400 days; null when it has none. */
function nextTransition(zone: Zone, from: number): number | null {
  const start = offset(zone, from);
  for (let t = from + HOUR; t < from + 400 * DAY; t += HOUR) {
    if (offset(zone, t) === start) continue;
    let [lo, hi] = [t - HOUR, t];
    while (hi - lo > 1000) {
      const mid = Math.floor((lo + hi) / 2000) * 1000;
      if (offset(zone, mid) === start) lo = mid;
      else hi = mid;
    }
    return hi;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The model

interface ModelSession {
  id: string;
  type: SessionType;
  subject: 0 | 1;
  planMs: number | null;
  status: Status;
  /** Time banked by ended runs, for completion. */
  bankedMs: number;
  runStartedAt: number | null;
  endedAt: number | null;
  /** Running stretches, [start, end) with end null while running. */
  stretches: [number, number | null][];
}

/** A RUNNING session whose plan is used up by `now` completes at the instant it ran out. */
function settle(s: ModelSession, now: number): void {
  if (s.status !== 'RUNNING' || s.planMs === null) return;
  const at = s.runStartedAt! + s.planMs - s.bankedMs;
  if (at > now) return;
  s.stretches.at(-1)![1] = at;
  Object.assign(s, { status: 'COMPLETED', bankedMs: s.planMs, runStartedAt: null, endedAt: at });
}

/** Applies a transition at `now`; the status that refuses it, or null when it happened. */
function transition(s: ModelSession, kind: 'pause' | 'resume' | 'stop', now: number): Status | null {
  settle(s, now);
  const allowed = { pause: ['RUNNING'], resume: ['PAUSED'], stop: ['RUNNING', 'PAUSED'] }[kind];
  if (!allowed.includes(s.status)) return s.status;
  if (s.status === 'RUNNING') {
    s.bankedMs += now - s.runStartedAt!;
    s.stretches.at(-1)![1] = now;
    s.runStartedAt = null;
  }
  if (kind === 'resume') {
    s.runStartedAt = now;
    s.stretches.push([now, null]);
  }
  s.status = { pause: 'PAUSED', resume: 'RUNNING', stop: 'STOPPED' }[kind] as Status;
  if (kind === 'stop') s.endedAt = now;
  return null;
}

/** Study milliseconds per local day and subject, from every stretch of every session but breaks, up to `now`. */
function studyCells(zone: Zone, sessions: ModelSession[], now: number): Map<string, number> {
  const cells = new Map<string, number>();
  for (const s of sessions) {
    settle(s, now);
    if (s.type === 'BREAK') continue;
    for (const [begin, end] of s.stretches) {
      for (let cursor = begin; cursor < (end ?? now); ) {
        const day = localDate(zone, cursor);
        const until = Math.min(end ?? now, midnight(zone, addDays(day, 1)));
        const key = `${day} ${s.subject}`;
        cells.set(key, (cells.get(key) ?? 0) + until - cursor);
        cursor = until;
      }
    }
  }
  return cells;
}

/** The expected `days` of studyStats from `from` to `to`: each day's cells, each rounded down to seconds. */
function expectedDays(cells: Map<string, number>, from: string, to: string): [string, number][] {
  const days: [string, number][] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const seconds = [0, 1].reduce((sum, subject) => sum + Math.floor((cells.get(`${day} ${subject}`) ?? 0) / 1000), 0);
    days.push([day, seconds]);
  }
  return days;
}

// ---------------------------------------------------------------------------------------------
// The real side

const STATS = graphql(`
  query PropertyStats($from: Date!, $to: Date!, $timeZone: String!) {
    studyStats(from: $from, to: $to, timeZone: $timeZone) { totalSeconds days { date seconds } completedPomodoros }
  }
`);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ clock: new ManualClock({ start: '2026-01-01T00:00:00.000Z' }), env: { ACCESS_TOKEN_TTL_SECONDS: '86400' } });
});
afterAll(() => t.close());

const codeOf = (errors: GraphQLErrorBody[] | undefined) => errors?.map((e) => e.extensions?.code);

/** What the runs met, across all of them: a property that never crossed a midnight would pass without testing it. */
const exercised = { stretchesAcrossMidnight: 0, stretchesAcrossTransition: 0, breaks: 0, completions: 0, refused: 0 };

/** One run: a fresh student with two subjects, their sessions in the model, and a token kept fresh. */
class Run {
  readonly sessions: ModelSession[] = [];
  #tokenAt = 0;
  #client!: Student['client'];

  private constructor(
    readonly zone: Zone,
    readonly student: Student,
    readonly subjects: [string, string],
  ) {
    this.#tokenAt = t.clock.now().getTime();
    this.#client = student.client;
  }

  static async begin(zone: Zone): Promise<Run> {
    const student = await signUpStudent(t.client());
    return new Run(zone, student, [await createSubject(student), await createSubject(student)]);
  }

  /** The student's client, logged in again when its token has aged (the clock moves by hours). */
  async client(): Promise<Student['client']> {
    const now = t.clock.now().getTime();
    if (now - this.#tokenAt > RELOGIN_AFTER_MS) {
      const { logIn } = await t.client().ok(LOG_IN, { input: { email: this.student.email, password: PASSWORD } });
      this.#client = t.client().withToken(logIn.accessToken);
      this.#tokenAt = now;
    }
    return this.#client;
  }

  async step({ advanceMs, action }: Step): Promise<void> {
    t.clock.advance(advanceMs);
    const now = t.clock.now().getTime();
    const client = await this.client();
    if (action.kind === 'start') {
      const input: StartSessionInput = { subjectId: this.subjects[action.subject], type: action.type };
      if (action.type === 'POMODORO') input.focusMinutes = action.minutes;
      if (action.type === 'BREAK') input.breakMinutes = action.minutes;
      const res = await client.request(START_SESSION, { input });
      for (const s of this.sessions) settle(s, now);
      if (this.sessions.some((s) => s.status === 'RUNNING' || s.status === 'PAUSED')) {
        exercised.refused++;
        expect(codeOf(res.errors)).toEqual(['SESSION_ALREADY_ACTIVE']);
        return;
      }
      expect(res.errors).toBeUndefined();
      const planMs = action.type === 'FREE' ? null : action.minutes * 60_000;
      this.sessions.push({
        id: res.data!.startSession.id,
        type: action.type,
        subject: action.subject,
        planMs,
        status: 'RUNNING',
        bankedMs: 0,
        runStartedAt: now,
        endedAt: null,
        stretches: [[now, null]],
      });
      return;
    }
    const newest = this.sessions.at(-1);
    if (!newest) return;
    const document: SessionIdDocument = { pause: PAUSE_SESSION, resume: RESUME_SESSION, stop: STOP_SESSION }[action.kind];
    const res = await client.request(document, { id: newest.id });
    const refusedFrom = transition(newest, action.kind, now);
    if (refusedFrom === null) {
      expect(res.errors).toBeUndefined();
    } else {
      exercised.refused++;
      expect(codeOf(res.errors)).toEqual(['INVALID_SESSION_STATE']);
    }
  }

  /** Reads the statistics of the range and holds them to the model. */
  async check(plan: Plan, firstAt: number): Promise<void> {
    const now = t.clock.now().getTime();
    const from = addDays(localDate(this.zone, firstAt), plan.fromShift);
    const lastDay = addDays(localDate(this.zone, now), plan.toShift);
    const to = lastDay < from ? from : lastDay;
    const { studyStats } = await (await this.client()).ok(STATS, { from, to, timeZone: this.zone });

    const cells = studyCells(this.zone, this.sessions, now);
    const days = expectedDays(cells, from, to);
    const rangeStart = midnight(this.zone, from);
    const rangeEnd = midnight(this.zone, addDays(to, 1));
    const completedPomodoros = this.sessions.filter(
      (s) => s.type === 'POMODORO' && s.status === 'COMPLETED' && s.endedAt! >= rangeStart && s.endedAt! < rangeEnd,
    ).length;
    const sum = days.reduce((total, [, seconds]) => total + seconds, 0);

    expect(studyStats.days.reduce((total, d) => total + d.seconds, 0)).toBe(sum);
    expect(studyStats).toEqual({
      totalSeconds: sum,
      days: days.map(([date, seconds]) => ({ date, seconds })),
      completedPomodoros,
    });
    this.#count(now);
  }

  #count(now: number): void {
    for (const s of this.sessions) {
      if (s.type === 'BREAK') exercised.breaks++;
      if (s.status === 'COMPLETED') exercised.completions++;
      if (s.type === 'BREAK') continue;
      for (const [begin, end] of s.stretches) {
        const e = end ?? now;
        if (localDate(this.zone, begin) !== localDate(this.zone, e - 1)) exercised.stretchesAcrossMidnight++;
        if (offset(this.zone, begin) !== offset(this.zone, e)) exercised.stretchesAcrossTransition++;
      }
    }
  }
}

describe('studyStats under random sessions in random zones', () => {
  it(
    'splits exactly the model\'s study time into local days: the days add up to it, to the second, and breaks count nowhere',
    async () => {
      let runs = 0;
      const property = fc.asyncProperty(planArb, async (plan: Plan) => {
        runs++;
        const now = t.clock.now().getTime();
        const transitionAt = plan.nearTransition ? nextTransition(plan.zone, now + plan.leadMs) : null;
        t.clock.advance(transitionAt === null ? plan.leadMs : transitionAt - plan.leadMs - now);
        const run = await Run.begin(plan.zone);
        const firstAt = t.clock.now().getTime();
        for (const [index, step] of plan.steps.entries()) {
          try {
            await run.step(step);
          } catch (err) {
            throw new Error(`step ${index} ${JSON.stringify(step)} at ${t.clock.now().toISOString()}: ${(err as Error).message}`, { cause: err });
          }
        }
        await run.check(plan, firstAt);
      });
      await fc.assert(property, {
        numRuns: NUM_RUNS,
        examples: COVERING_PLANS.map((p) => [p]),
        endOnFailure: true,
        ...(SEED !== undefined && { seed: SEED }),
      });
      expect(runs).toBeGreaterThanOrEqual(NUM_RUNS);
      expect({
        acrossMidnight: exercised.stretchesAcrossMidnight > 0,
        acrossTransition: exercised.stretchesAcrossTransition > 0,
        breaks: exercised.breaks > 0,
        completions: exercised.completions > 0,
        refused: exercised.refused > 0,
      }).toEqual({ acrossMidnight: true, acrossTransition: true, breaks: true, completions: true, refused: true });
    },
    120_000,
  );
});
