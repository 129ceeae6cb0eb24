import fc from 'fast-check';
import {
  createSubject,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  type SessionIdDocument,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
} from '../support/fixtures.js';
import type { GraphQLErrorBody } from '../support/graphql-client.js';
import { graphql } from '../__generated__/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectWs, eventually, type WsTestClient, wsUrl } from '../support/ws-client.js';

// Model-based property: random interleavings of start, pause, resume, stop, connect and
// disconnect by two students, against a real server through its real transports (mutations
// over HTTP, presence through graphql-ws sockets), checked after every step against a model
// written here from the rules in the README (not from src/sessions/timer.ts):
//
//   - a student has at most one RUNNING session (in the database) and never two unfinished;
//   - no session's elapsedSeconds ever goes down;
//   - every session looks exactly as the model says: status, elapsedSeconds, remainingSeconds,
//     pausedReason, startedAt, endedAt; refused operations get the code the model predicts.
//
// The clock is frozen and moved only between steps, by random amounts up to 40 s, so that
// 1-minute POMODOROs complete by themselves. A disconnect is deterministic: when a student's
// last socket goes at clock instant L, the step waits (clock still) until the server has
// written the pause, which the model places at L with reason DISCONNECT; or it reconnects at
// once, and a reconnection back within half the grace (0.2 s, real time) must have cancelled
// the pause. (A slower one, on a loaded machine, may have lost the race: then either outcome
// is legal and the API says which.) Each run has a fresh pair of students.
//
// Shrinking against a live server is slow, so a failure ends the run (endOnFailure): fast-check
// prints the seed and the failing steps. SESSION_MODEL_SEED=<seed> replays a failure.

const NUM_RUNS = 25;
const STEPS = { minLength: 10, maxLength: 20 };
const MAX_ADVANCE_MS = 40_000;
const GRACE_SECONDS = 0.2;
const FOCUS_MINUTES = 1;
/** Sockets a student may hold at once in the model (well under WS_MAX_SOCKETS_PER_STUDENT). */
const MAX_SOCKETS = 2;
const SEED = process.env.SESSION_MODEL_SEED === undefined ? undefined : Number(process.env.SESSION_MODEL_SEED);

type Status = 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'STOPPED';
type PauseReason = 'USER' | 'DISCONNECT';

// ---------------------------------------------------------------------------------------------
// Steps

type Who = 0 | 1;
type Action =
  | { kind: 'start'; student: Who; type: 'FREE' | 'POMODORO' }
  /** `pick` counts back from the student's newest session (so mostly the newest). */
  | { kind: 'pause' | 'resume' | 'stop'; student: Who; pick: number }
  | { kind: 'connect'; student: Who }
  /**
   * Closes the student's newest socket (or, with `all`, every one of them); with
   * `reconnectAtOnce`, then opens a new one within the grace.
   */
  | { kind: 'disconnect'; student: Who; all: boolean; reconnectAtOnce: boolean };
interface Step {
  /** How far the clock moves before the action. */
  advanceMs: number;
  action: Action;
}

const who = fc.constantFrom<Who>(0, 1);
/** Mostly the newest session (0), sometimes an older one, to meet finished sessions too. */
const pickArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(4) });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), student: who, type: fc.constantFrom('FREE' as const, 'POMODORO' as const) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'stop' as const), student: who, pick: pickArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connect' as const), student: who }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), student: who, all: fc.boolean(), reconnectAtOnce: fc.boolean() }) },
);
const stepArb: fc.Arbitrary<Step> = fc.record({
  advanceMs: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: MAX_ADVANCE_MS }) }),
  action: actionArb,
});
/** One run: which student starts with a socket open, then the steps. */
interface Plan {
  connected: [boolean, boolean];
  steps: Step[];
}
const planArb: fc.Arbitrary<Plan> = fc.record({ connected: fc.tuple(fc.boolean(), fc.boolean()), steps: fc.array(stepArb, STEPS) });

/**
 * A plan run before the random ones (fast-check's `examples`), so that every behaviour the
 * property is about is certainly met at least once: a refused start, refused transitions, a
 * pause cancelled by reconnecting, a disconnect pause, a completion, and the other student
 * carrying on meanwhile.
 */
const COVERING_PLAN: Plan = {
  connected: [true, false],
  steps: [
    { advanceMs: 0, action: { kind: 'start', student: 0, type: 'POMODORO' } },
    { advanceMs: 0, action: { kind: 'start', student: 1, type: 'FREE' } },
    { advanceMs: 12_345, action: { kind: 'start', student: 0, type: 'FREE' } }, // SESSION_ALREADY_ACTIVE
    { advanceMs: 1_000, action: { kind: 'resume', student: 0, pick: 0 } }, // INVALID_SESSION_STATE (RUNNING)
    { advanceMs: 2_000, action: { kind: 'disconnect', student: 0, all: true, reconnectAtOnce: true } }, // cancelled
    { advanceMs: 9_999, action: { kind: 'disconnect', student: 0, all: false, reconnectAtOnce: false } }, // paused at L
    { advanceMs: 30_000, action: { kind: 'resume', student: 0, pick: 0 } }, // 25.344 s banked
    { advanceMs: 34_656, action: { kind: 'pause', student: 0, pick: 0 } }, // completed exactly now: refused
    { advanceMs: 1, action: { kind: 'stop', student: 1, pick: 0 } },
    { advanceMs: 40_000, action: { kind: 'start', student: 0, type: 'FREE' } },
  ],
};

// ---------------------------------------------------------------------------------------------
// The model

interface ModelSession {
  id: string;
  type: 'FREE' | 'POMODORO';
  focusMs: number | null;
  status: Status;
  /** Time studied by runs that have ended. */
  bankedMs: number;
  /** Start of the current run (RUNNING only). */
  runStartedAt: number | null;
  startedAt: number;
  endedAt: number | null;
  pausedReason: PauseReason | null;
}

/** A student as the model knows them: their sessions (oldest first) and how many sockets they hold. */
interface ModelStudent {
  sessions: ModelSession[];
  sockets: number;
}

function studiedMs(s: ModelSession, now: number): number {
  const total = s.bankedMs + (s.status === 'RUNNING' ? now - s.runStartedAt! : 0);
  return s.focusMs === null ? total : Math.min(total, s.focusMs);
}

/** A RUNNING POMODORO whose plan is used up by `now` is COMPLETED at the instant it ran out. */
function settle(s: ModelSession, now: number): void {
  if (s.status !== 'RUNNING' || s.focusMs === null) return;
  const completesAt = s.runStartedAt! + s.focusMs - s.bankedMs;
  if (completesAt > now) return;
  Object.assign(s, { status: 'COMPLETED', bankedMs: s.focusMs, runStartedAt: null, endedAt: completesAt, pausedReason: null });
}

/** What the API must show for a session at `now`. */
function expectedView(s: ModelSession, now: number) {
  settle(s, now);
  const studied = studiedMs(s, now);
  return {
    id: s.id,
    type: s.type,
    status: s.status,
    elapsedSeconds: Math.floor(studied / 1000),
    focusSeconds: s.focusMs === null ? null : s.focusMs / 1000,
    remainingSeconds: s.focusMs === null ? null : Math.ceil((s.focusMs - studied) / 1000),
    startedAt: new Date(s.startedAt).toISOString(),
    endedAt: s.endedAt === null ? null : new Date(s.endedAt).toISOString(),
    pausedReason: s.pausedReason,
  };
}

/** Which statuses each transition may start from. */
const ALLOWED_FROM: Record<'pause' | 'resume' | 'stop', Status[]> = {
  pause: ['RUNNING'],
  resume: ['PAUSED'],
  stop: ['RUNNING', 'PAUSED'],
};

/** Applies a transition at `now`; returns the status that refused it, or null when it happened. */
function transition(s: ModelSession, kind: 'pause' | 'resume' | 'stop', now: number, reason: PauseReason = 'USER'): Status | null {
  settle(s, now);
  if (!ALLOWED_FROM[kind].includes(s.status)) return s.status;
  const banked = { bankedMs: studiedMs(s, now), runStartedAt: null };
  if (kind === 'resume') Object.assign(s, { status: 'RUNNING', runStartedAt: now, pausedReason: null });
  else if (kind === 'pause') Object.assign(s, banked, { status: 'PAUSED', pausedReason: reason });
  else Object.assign(s, banked, { status: 'STOPPED', endedAt: now, pausedReason: null });
  return null;
}

function unfinished(student: ModelStudent, now: number): ModelSession | undefined {
  for (const s of student.sessions) settle(s, now);
  return student.sessions.find((s) => s.status === 'RUNNING' || s.status === 'PAUSED');
}

// ---------------------------------------------------------------------------------------------
// The real side

/** Every session of the viewer (a run makes at most 20 per student), with the fields the model predicts. */
const LIST = graphql(`
  query List {
    sessions(first: 100) {
      edges { node { id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason } }
    }
  }
`);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    env: {
      DISCONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
      COMPLETION_SWEEP_SECONDS: '1',
      ACCESS_TOKEN_TTL_SECONDS: '86400',
      // Limits that are not under test here, out of the way of a few thousand requests a minute.
      OPERATIONS_PER_CONNECTION_PER_MINUTE: '1000000',
      OPERATIONS_PER_STUDENT_PER_MINUTE: '1000000',
      WS_CONNECTIONS_PER_IP_PER_MINUTE: '100000',
      WS_MAX_SOCKETS_PER_IP: '100000',
    },
    clock: new ManualClock(),
  });
});
afterAll(() => t.close());

/** The error's code, message and extensions, the way the model predicts them. */
const errorOf = (errors: GraphQLErrorBody[] | undefined) => errors?.map(({ message, extensions }) => ({ message, extensions }));

/**
 * What the runs exercised, counted across all of them: a property that never reached a
 * completion or a disconnect pause would pass without testing them.
 */
const exercised = {
  started: 0,
  refusedStart: 0,
  transitions: 0,
  refusedTransitions: 0,
  completions: 0,
  disconnectPauses: 0,
  cancelledPauses: 0,
  /** Reconnections too slow to be sure they beat the grace (either outcome accepted). */
  slowReconnects: 0,
};

/** One run: two fresh students, their sockets, the model, and the highest elapsed time seen per session. */
class Run {
  readonly model: ModelStudent[] = [
    { sessions: [], sockets: 0 },
    { sessions: [], sockets: 0 },
  ];
  readonly sockets: WsTestClient[][] = [[], []];
  readonly highestElapsed = new Map<string, number>();

  private constructor(
    readonly students: Student[],
    readonly subjects: string[],
  ) {}

  /** Two new students, each with a subject, and a socket for those `connected` says. */
  static async begin(connected: [boolean, boolean]): Promise<Run> {
    const students = [await signUpStudent(t.client()), await signUpStudent(t.client())];
    const run = new Run(students, [await createSubject(students[0]!), await createSubject(students[1]!)]);
    for (const who of [0, 1] as const) if (connected[who]) await run.connect(who);
    return run;
  }

  private now(): number {
    return t.clock.now().getTime();
  }

  private openSockets(): number {
    return this.model[0]!.sockets + this.model[1]!.sockets;
  }

  async step({ advanceMs, action }: Step): Promise<void> {
    t.clock.advance(advanceMs);
    const now = this.now();
    const model = this.model[action.student]!;
    const student = this.students[action.student]!;
    switch (action.kind) {
      case 'start': {
        const input = { subjectId: this.subjects[action.student]!, type: action.type, ...(action.type === 'POMODORO' && { focusMinutes: FOCUS_MINUTES }) };
        const res = await student.client.request(START_SESSION, { input });
        const active = unfinished(model, now);
        exercised[active ? 'refusedStart' : 'started']++;
        if (active) {
          expect(errorOf(res.errors)).toEqual([
            {
              message: 'You already have an active study session; pause-resume or stop it first',
              extensions: { code: 'SESSION_ALREADY_ACTIVE', activeSessionId: active.id },
            },
          ]);
        } else {
          expect(res.errors).toBeUndefined();
          model.sessions.push({
            id: res.data!.startSession.id,
            type: action.type,
            focusMs: action.type === 'POMODORO' ? FOCUS_MINUTES * 60_000 : null,
            status: 'RUNNING',
            bankedMs: 0,
            runStartedAt: now,
            startedAt: now,
            endedAt: null,
            pausedReason: null,
          });
        }
        return;
      }
      case 'pause':
      case 'resume':
      case 'stop': {
        if (model.sessions.length === 0) return;
        const session = model.sessions[model.sessions.length - 1 - (action.pick % model.sessions.length)]!;
        const document: SessionIdDocument = { pause: PAUSE_SESSION, resume: RESUME_SESSION, stop: STOP_SESSION }[action.kind];
        const res = await student.client.request(document, { id: session.id });
        const refusedFrom = transition(session, action.kind, now);
        exercised[refusedFrom === null ? 'transitions' : 'refusedTransitions']++;
        if (refusedFrom === null) {
          expect(res.errors).toBeUndefined();
        } else {
          expect(errorOf(res.errors)).toEqual([
            {
              message: `Cannot ${action.kind} a session that is ${refusedFrom}`,
              extensions: { code: 'INVALID_SESSION_STATE', status: refusedFrom },
            },
          ]);
        }
        return;
      }
      case 'connect': {
        if (model.sockets >= MAX_SOCKETS) return;
        await this.connect(action.student);
        return;
      }
      case 'disconnect': {
        if (model.sockets === 0) return;
        const mine = this.sockets[action.student]!;
        const closing = action.all ? mine.splice(0) : mine.splice(-1);
        await Promise.all(closing.map((ws) => ws.dispose()));
        model.sockets -= closing.length;
        // The server has handled the close (and scheduled the pause, if it was the last socket).
        await eventually(() => t.server.stats().openSockets === this.openSockets(), 5_000, 'the server to see the socket go');
        const lastGone = model.sockets === 0;
        const running = unfinished(model, now);
        if (action.reconnectAtOnce) {
          const since = Date.now();
          await this.connect(action.student);
          const tookMs = Date.now() - since;
          await eventually(() => t.server.stats().pendingDisconnectPauses === 0, 5_000, 'the pause to be cancelled or done');
          if (lastGone && running?.status === 'RUNNING') {
            if (tookMs < (GRACE_SECONDS * 1000) / 2) {
              // Back well within the grace: the pause must have been cancelled.
              exercised.cancelledPauses++;
            } else {
              // Too slow to be sure the grace had not run out first (a loaded machine): either
              // legal outcome, as the API shows it; the checks then hold the model to it exactly.
              exercised.slowReconnects++;
              const { session } = await student.client.ok(SESSION, { id: running.id });
              if (session?.status === 'PAUSED' && session.pausedReason === 'DISCONNECT') {
                transition(running, 'pause', now, 'DISCONNECT');
                exercised.disconnectPauses++;
              }
            }
          }
        } else if (lastGone) {
          // The clock stands still while the grace runs out (in real time) and the pause is written.
          await eventually(() => t.server.stats().pendingDisconnectPauses === 0, 5_000, 'the disconnect pause');
          if (running?.status === 'RUNNING') {
            transition(running, 'pause', now, 'DISCONNECT');
            exercised.disconnectPauses++;
          }
        }
        return;
      }
    }
  }

  async connect(who: Who): Promise<void> {
    const ws = connectWs(wsUrl(t.origin), { connectionParams: { token: this.students[who]!.accessToken } });
    this.sockets[who]!.push(ws);
    await ws.connected;
    this.model[who]!.sockets++;
  }

  /** Every invariant, after a step. */
  async check(): Promise<void> {
    const now = this.now();
    const ids = this.students.map((s) => s.userId);
    const rows = await t.db.handle.db.selectFrom('study_sessions').select(['user_id', 'status']).where('user_id', 'in', ids).execute();
    for (const id of ids) {
      const mine = rows.filter((r) => r.user_id === id);
      expect(mine.filter((r) => r.status === 'RUNNING').length).toBeLessThanOrEqual(1);
      expect(mine.filter((r) => r.status === 'RUNNING' || r.status === 'PAUSED').length).toBeLessThanOrEqual(1);
    }

    for (const [index, student] of this.students.entries()) {
      const { sessions } = await student.client.ok(LIST);
      const seen = sessions.edges.map((e) => e.node);
      for (const view of seen) {
        const highest = this.highestElapsed.get(view.id) ?? 0;
        expect({ id: view.id, elapsedNeverDecreases: view.elapsedSeconds >= highest }).toEqual({ id: view.id, elapsedNeverDecreases: true });
        this.highestElapsed.set(view.id, view.elapsedSeconds);
      }
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect([...seen].sort(byId)).toEqual(this.model[index]!.sessions.map((s) => expectedView(s, now)).sort(byId));
    }
  }

  /** Closes every socket and waits until the server holds nothing for this run. */
  async end(): Promise<void> {
    for (const s of this.model.flatMap((m) => m.sessions)) if (s.status === 'COMPLETED') exercised.completions++;
    await Promise.all(this.sockets.flat().map((ws) => ws.dispose()));
    await eventually(() => t.server.stats().openSockets === 0, 5_000, 'every socket to close');
    await eventually(() => t.server.stats().pendingDisconnectPauses === 0, 5_000, 'the last disconnect pauses');
  }
}

describe('study sessions under random interleavings of two students', () => {
  it(
    'keep one running session per student, never lose elapsed time, and follow the model step by step',
    async () => {
      let runs = 0;
      let steps = 0;
      const property = fc.asyncProperty(planArb, async ({ connected, steps: plan }: Plan) => {
        const run = await Run.begin(connected);
        runs++;
        try {
          for (const [index, step] of plan.entries()) {
            try {
              await run.step(step);
              await run.check();
            } catch (err) {
              throw new Error(`step ${index} ${JSON.stringify(step)} at ${t.clock.now().toISOString()}: ${(err as Error).message}`, { cause: err });
            }
            steps++;
          }
        } finally {
          await run.end();
        }
      });
      await fc.assert(property, {
        numRuns: NUM_RUNS,
        examples: [[COVERING_PLAN]],
        endOnFailure: true,
        ...(SEED !== undefined && { seed: SEED }),
      });
      expect(runs).toBe(NUM_RUNS);
      expect(steps).toBeGreaterThanOrEqual(NUM_RUNS * STEPS.minLength);
      // Met at least once (by COVERING_PLAN if by nothing else). A reconnect on a loaded machine
      // may be too slow to count as certainly within the grace; it is then checked either way.
      expect({
        refusedStart: exercised.refusedStart > 0,
        refusedTransitions: exercised.refusedTransitions > 0,
        completions: exercised.completions > 0,
        disconnectPauses: exercised.disconnectPauses > 0,
        reconnectsWithinGrace: exercised.cancelledPauses + exercised.slowReconnects > 0,
      }).toEqual({ refusedStart: true, refusedTransitions: true, completions: true, disconnectPauses: true, reconnectsWithinGrace: true });
    },
    180_000,
  );
});
