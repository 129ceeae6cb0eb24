import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SESSION_NOT_FOUND_MESSAGE } from '../src/errors.js';
import {
  createSubject,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
  studentWithSession,
  TIMER_UPDATED,
} from './support/fixtures.js';
import type {
  SessionFieldsFragment as Session,
  StartSessionInput,
  TimerSubscription as TimerData,
  TypedDocumentString,
} from './__generated__/graphql.js';
import { ManualClock } from './support/manual-clock.js';
import { isIdle, startTestServer, type TestServer } from './support/server.js';
import { type Collected, collect, connectStudent, disposeSockets, eventually, type WsTestClient, within } from './support/ws-client.js';

// The live timer (`timerUpdated`) over real graphql-ws sockets, on one server whose clock either
// follows real time (for the rhythm and phase of real ticks) or stands still until a test moves
// it (for exact values; the scheduler still wakes up every interval in real time and finds
// nothing due). A disconnected student's session is paused at once (grace 0), so nothing stays
// pending between tests; presence itself is covered by ws-presence.test.ts.

const TICK_MS = 200;

type TimerUpdate = TimerData['timerUpdated'];
type TimerSubscription = Collected<TimerData>;
type SessionInput = Omit<StartSessionInput, 'subjectId'>;

/**
 * A {@link ManualClock} that follows real time until frozen, and when set running again carries
 * on from the instant it was frozen at (plus whatever `advance` added), never jumping back.
 */
class SwitchableClock extends ManualClock {
  #frozenAt: number | undefined;

  constructor() {
    super({ running: true });
  }

  freeze(): void {
    this.#frozenAt ??= super.now().getTime();
  }

  run(): void {
    if (this.#frozenAt === undefined) return;
    super.advance(this.#frozenAt - super.now().getTime());
    this.#frozenAt = undefined;
  }

  override now(): Date {
    return this.#frozenAt === undefined ? super.now() : new Date(this.#frozenAt);
  }

  override advance(ms: number): void {
    if (this.#frozenAt === undefined) super.advance(ms);
    else this.#frozenAt += ms;
  }
}

const clock = new SwitchableClock();
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    env: { TICK_INTERVAL_MS: String(TICK_MS), DISCONNECT_GRACE_SECONDS: '0', ACCESS_TOKEN_TTL_SECONDS: '86400' },
    clock,
  });
});
afterAll(() => t?.close());

afterEach(async () => {
  await disposeSockets();
  clock.run();
  // Every test starts from an idle server: no socket, subscription or pending pause left over.
  await eventually(() => isIdle(t.server.stats()), 5_000, 'an idle server');
});

/** A graphql-ws client of `student`, acknowledged, closed after the test. */
const connect = (student: Student): Promise<WsTestClient> => connectStudent(t.origin, student);

function subscribe(ws: WsTestClient, sessionId: string): TimerSubscription {
  return collect(ws.client, TIMER_UPDATED, { id: sessionId });
}

/** The updates received so far; fails on any result carrying errors. */
function updates(sub: TimerSubscription): TimerUpdate[] {
  return sub.results.map((r) => {
    expect(r.errors).toBeUndefined();
    return r.data!.timerUpdated;
  });
}

/** Waits for `n` updates and returns them. */
async function nextUpdates(sub: TimerSubscription, n: number, timeoutMs?: number): Promise<TimerUpdate[]> {
  await sub.waitFor(n, timeoutMs);
  return updates(sub);
}

async function studentWithSubject(): Promise<{ student: Student; subjectId: string }> {
  const student = await signUpStudent(t.client());
  return { student, subjectId: await createSubject(student) };
}

async function start(
  student: Student,
  subjectId: string,
  input: SessionInput = { type: 'FREE' },
): Promise<Session> {
  return (await student.client.ok(START_SESSION, { input: { subjectId, ...input } })).startSession;
}

/** Runs a transition on session `id` and returns the session from the answer's `field`. */
async function mutate<F extends string>(
  student: Student,
  document: TypedDocumentString<Record<F, Session>, { id: string }>,
  id: string,
  field: F,
): Promise<Session> {
  return (await student.client.ok(document, { id }))[field];
}

async function read(student: Student, id: string): Promise<Session> {
  return (await student.client.ok(SESSION, { id })).session!;
}

function sessionRow(id: string) {
  return t.db.handle.db.selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

const ms = (iso: string): number => Date.parse(iso);
/** How far past its last tick boundary `instant` is, for a run started at `runStart` with `bankedMs` banked before. */
const phaseOf = (instant: number, runStart: number, bankedMs = 0): number => (bankedMs + instant - runStart) % TICK_MS;
/** `delta` folded into (-interval/2, interval/2]. */
const circular = (delta: number): number => {
  const r = ((delta % TICK_MS) + TICK_MS) % TICK_MS;
  return r > TICK_MS / 2 ? r - TICK_MS : r;
};
/** How late a tick may run after its due instant on a loaded machine (of a 200 ms interval). */
const LATENESS_MS = 120;

describe('first message', () => {
  beforeEach(() => clock.freeze());

  it('is the current state at once, equal to an HTTP read of the session', async () => {
    const { student, session } = await studentWithSession(t.client(), { type: 'POMODORO', focusMinutes: 25 });
    clock.advance(42_500);
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    const [first] = await nextUpdates(sub, 1);
    const viaHttp = await read(student, session.id);
    expect(first).toEqual({
      sessionId: session.id,
      status: viaHttp.status,
      elapsedSeconds: viaHttp.elapsedSeconds,
      remainingSeconds: viaHttp.remainingSeconds,
      serverTime: clock.now().toISOString(),
    });
    expect(first).toMatchObject({ status: 'RUNNING', elapsedSeconds: 42, remainingSeconds: 25 * 60 - 42 });
  });

  it('is followed by one tick when the clock crosses an interval boundary, and none while it stands still', async () => {
    const { student, session } = await studentWithSession(t.client(), { type: 'POMODORO', focusMinutes: 25 });
    clock.advance(42_550);
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    await sub.waitFor(1);
    // The scheduler wakes every interval in real time; a frozen clock has nothing due.
    await sleep(2 * TICK_MS);
    expect(sub.results).toHaveLength(1);
    // One jump over several boundaries is one tick, at the clock's new instant.
    clock.advance(1_000);
    const ticks = (await nextUpdates(sub, 2)).slice(1);
    expect(ticks).toEqual([
      {
        sessionId: session.id,
        status: 'RUNNING',
        elapsedSeconds: 43,
        remainingSeconds: 25 * 60 - 43,
        serverTime: clock.now().toISOString(),
      },
    ]);
    await sleep(2 * TICK_MS);
    expect(sub.results).toHaveLength(2);
  });
});

describe('ticks', () => {
  it('come every interval with elapsedSeconds computed from startedAt and serverTime', async () => {
    const { student, session } = await studentWithSession(t.client());
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    const received = await nextUpdates(sub, 9);
    const startedAt = ms(session.startedAt);
    for (const u of received) {
      expect(u).toMatchObject({ sessionId: session.id, status: 'RUNNING', remainingSeconds: null });
      // Exact: the session never paused, so elapsed is the whole time since it started.
      expect(u.elapsedSeconds).toBe(Math.floor((ms(u.serverTime) - startedAt) / 1000));
    }
    const ticks = received.slice(1);
    const gaps = ticks.slice(1).map((u, i) => ms(u.serverTime) - ms(ticks[i]!.serverTime));
    expect(gaps).toHaveLength(7);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(TICK_MS - LATENESS_MS);
      expect(gap).toBeLessThanOrEqual(TICK_MS + LATENESS_MS);
    }
    const times = received.map((u) => ms(u.serverTime));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const elapsed = received.map((u) => u.elapsedSeconds);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
  });

  it('come on the session\'s own phase: at startedAt + k·interval', async () => {
    const { student, session } = await studentWithSession(t.client());
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    const ticks = (await nextUpdates(sub, 7)).slice(1);
    for (const u of ticks) {
      // A tick is never early (the scheduler fires what is due) and late only by event-loop lag.
      expect(phaseOf(ms(u.serverTime), ms(session.startedAt))).toBeLessThan(LATENESS_MS);
    }
  });

  it('of two sessions started 70 ms apart come 70 ms apart', async () => {
    const [a, b] = await Promise.all([studentWithSubject(), studentWithSubject()]);
    const sessionA = await start(a.student, a.subjectId);
    await sleep(70);
    const sessionB = await start(b.student, b.subjectId);
    const [wsA, wsB] = await Promise.all([connect(a.student), connect(b.student)]);
    const subA = subscribe(wsA, sessionA.id);
    const subB = subscribe(wsB, sessionB.id);
    await Promise.all([subA.waitFor(7), subB.waitFor(7)]);
    const startA = ms(sessionA.startedAt);
    const startB = ms(sessionB.startedAt);
    // 70 ms slept plus the time the second start request took.
    expect(startB - startA).toBeGreaterThanOrEqual(70);
    const ticksA = updates(subA).slice(1).map((u) => ms(u.serverTime));
    const ticksB = updates(subB).slice(1).map((u) => ms(u.serverTime));
    for (const at of ticksA) expect(phaseOf(at, startA)).toBeLessThan(LATENESS_MS);
    for (const at of ticksB) expect(phaseOf(at, startB)).toBeLessThan(LATENESS_MS);
    // Every tick of B comes (startB - startA) after a tick of A, modulo the interval and up to
    // the lateness of the two timers.
    const offset = (startB - startA) % TICK_MS;
    for (const tb of ticksB) {
      const nearest = Math.min(...ticksA.map((ta) => Math.abs(circular(tb - ta - offset))));
      expect(nearest).toBeLessThan(LATENESS_MS);
    }
  });
});

describe('changes from other transports', () => {
  it('shows an HTTP pause, stays silent while paused, resumes ticking, and ends with the stop', async () => {
    const { student, session } = await studentWithSession(t.client());
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    await sub.waitFor(3);

    const pausedSession = await mutate(student, PAUSE_SESSION, session.id, 'pauseSession');
    await eventually(() => updates(sub).some((u) => u.status === 'PAUSED'), 5_000, 'the PAUSED update');
    const pausedAt = updates(sub).findIndex((u) => u.status === 'PAUSED');
    expect(updates(sub)[pausedAt]).toMatchObject({
      status: 'PAUSED',
      elapsedSeconds: pausedSession.elapsedSeconds,
      remainingSeconds: null,
    });
    // Five intervals without a single message.
    await sleep(5 * TICK_MS);
    expect(sub.results).toHaveLength(pausedAt + 1);
    expect(t.server.stats()).toMatchObject({ activeSubscriptions: 1, tickerRegistrations: 1, pubsubListeners: 1 });

    await mutate(student, RESUME_SESSION, session.id, 'resumeSession');
    const resumedAt = pausedAt + 1;
    const afterResume = (await nextUpdates(sub, resumedAt + 4)).slice(resumedAt);
    expect(afterResume.every((u) => u.status === 'RUNNING')).toBe(true);
    expect(afterResume[0]!.elapsedSeconds).toBe(pausedSession.elapsedSeconds);
    // The resumed run ticks on its own phase: banked time plus time since the resume.
    const row = await sessionRow(session.id);
    for (const u of afterResume.slice(1)) {
      expect(phaseOf(ms(u.serverTime), row.run_started_at!.getTime(), row.accumulated_ms)).toBeLessThan(LATENESS_MS);
    }

    const stopped = await mutate(student, STOP_SESSION, session.id, 'stopSession');
    await within(sub.done, 5_000, 'the subscription to complete');
    const all = updates(sub);
    expect(all.at(-1)).toMatchObject({
      status: 'STOPPED',
      elapsedSeconds: stopped.elapsedSeconds,
      remainingSeconds: null,
    });
    expect(all.filter((u) => u.status === 'STOPPED')).toHaveLength(1);
    expect(t.server.stats()).toMatchObject({ activeSubscriptions: 0, tickerRegistrations: 0, pubsubListeners: 0 });
  });
});

describe('end of a session', () => {
  beforeEach(() => clock.freeze());

  it('sends COMPLETED with the exact plan when a POMODORO runs out, then completes', async () => {
    const { student, session } = await studentWithSession(t.client(), { type: 'POMODORO', focusMinutes: 1 });
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    const [first] = await nextUpdates(sub, 1);
    expect(first).toMatchObject({ status: 'RUNNING', elapsedSeconds: 0, remainingSeconds: 60 });

    clock.advance(61_000);
    await within(sub.done, 5_000, 'the subscription to complete');
    expect(updates(sub)).toEqual([
      first,
      {
        sessionId: session.id,
        status: 'COMPLETED',
        elapsedSeconds: 60,
        remainingSeconds: 0,
        serverTime: clock.now().toISOString(),
      },
    ]);
    const row = await sessionRow(session.id);
    expect(row).toMatchObject({ status: 'COMPLETED', accumulated_ms: 60_000, run_started_at: null, paused_reason: null });
    expect(row.ended_at!.toISOString()).toBe(new Date(ms(session.startedAt) + 60_000).toISOString());
    expect(t.server.stats()).toMatchObject({ activeSubscriptions: 0, tickerRegistrations: 0, pubsubListeners: 0 });
  });

  it('sends the final state of a stopped session and completes at once', async () => {
    const { student, session } = await studentWithSession(t.client());
    clock.advance(5_000);
    await mutate(student, STOP_SESSION, session.id, 'stopSession');
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    await within(sub.done, 2_000, 'the subscription to complete');
    expect(updates(sub)).toEqual([
      {
        sessionId: session.id,
        status: 'STOPPED',
        elapsedSeconds: 5,
        remainingSeconds: null,
        serverTime: clock.now().toISOString(),
      },
    ]);
    expect(t.server.stats()).toMatchObject({ activeSubscriptions: 0, tickerRegistrations: 0, pubsubListeners: 0 });
  });

  it('sends COMPLETED for a POMODORO whose time ran out while nobody watched, and completes', async () => {
    const { student, session } = await studentWithSession(t.client(), { type: 'POMODORO', focusMinutes: 1 });
    clock.advance(90_000);
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    await within(sub.done, 2_000, 'the subscription to complete');
    expect(updates(sub)).toEqual([
      {
        sessionId: session.id,
        status: 'COMPLETED',
        elapsedSeconds: 60,
        remainingSeconds: 0,
        serverTime: clock.now().toISOString(),
      },
    ]);
  });
});

describe('ownership and input', () => {
  it('answers a foreign or missing session with an error message NOT_FOUND and a malformed id with BAD_USER_INPUT, on a socket that keeps ticking', async () => {
    const owner = await studentWithSession(t.client());
    const other = await studentWithSession(t.client());
    const ws = await connect(owner.student);
    const own = subscribe(ws, owner.session.id);
    await own.waitFor(2);
    const otherRowBefore = await sessionRow(other.session.id);

    const foreign = subscribe(ws, other.session.id);
    const missing = subscribe(ws, randomUUID());
    const malformed = subscribe(ws, 'not-a-session-id');
    // A protocol `error` (not a `next` a client could take for a result), and nothing before it.
    const refusal = (sub: typeof own) => within(sub.done.then(() => 'completed', (errors: unknown) => errors), 5_000, 'the refused operation to end');
    const where = { locations: [{ line: 3, column: 3 }], path: ['timerUpdated'] };
    const notFound = [{ message: SESSION_NOT_FOUND_MESSAGE, ...where, extensions: { code: 'NOT_FOUND' } }];
    expect(await refusal(foreign)).toEqual(notFound);
    expect(await refusal(missing)).toEqual(notFound);
    expect(await refusal(malformed)).toEqual([
      { message: 'sessionId is not a valid id', ...where, extensions: { code: 'BAD_USER_INPUT', field: 'sessionId' } },
    ]);
    for (const sub of [foreign, missing, malformed]) expect(sub.results).toEqual([]);

    // The socket is still open and the valid subscription still ticks.
    const seen = own.results.length;
    const later = await nextUpdates(own, seen + 2);
    expect(later.every((u) => u.sessionId === owner.session.id && u.status === 'RUNNING')).toBe(true);
    expect(ws.closes).toEqual([]);
    // Nothing is held for the refused operations, and the other student's session is untouched.
    expect(t.server.stats()).toMatchObject({
      openSockets: 1,
      activeSubscriptions: 1,
      tickerRegistrations: 1,
      pubsubListeners: 1,
    });
    expect(await sessionRow(other.session.id)).toEqual(otherRowBefore);
  });
});

describe('sharing and release', () => {
  it('gives two subscribers of one session one ticker registration and identical ticks', async () => {
    const { student, session } = await studentWithSession(t.client());
    const [ws1, ws2] = await Promise.all([connect(student), connect(student)]);
    const sub1 = subscribe(ws1, session.id);
    await sub1.waitFor(1);
    const sub2 = subscribe(ws2, session.id);
    await sub2.waitFor(1);
    expect(t.server.stats()).toEqual({
      openSockets: 2,
      authenticatedConnections: 2,
      activeSubscriptions: 2,
      tickerRegistrations: 1,
      pubsubListeners: 2,
      pendingDisconnectPauses: 0,
    });

    await sub2.waitFor(6);
    const ticks2 = updates(sub2).slice(1, 6);
    const ticks1 = updates(sub1);
    // Each tick is built once and shared: the first subscriber got the very same payloads.
    for (const tick of ticks2) {
      expect(ticks1.filter((u) => u.serverTime === tick.serverTime)).toEqual([tick]);
    }

    sub1.unsubscribe();
    sub2.unsubscribe();
    await eventually(
      () => {
        const s = t.server.stats();
        return s.activeSubscriptions === 0 && s.tickerRegistrations === 0 && s.pubsubListeners === 0;
      },
      5_000,
      'both subscriptions to be released',
    );
    expect(t.server.stats()).toEqual({
      openSockets: 2,
      authenticatedConnections: 2,
      activeSubscriptions: 0,
      tickerRegistrations: 0,
      pubsubListeners: 0,
      pendingDisconnectPauses: 0,
    });
  });

  it('gives subscribers of one session with different selection sets exactly their own fields', async () => {
    const { student, session } = await studentWithSession(t.client());
    const ws = await connect(student);
    const narrow = collect<{ timerUpdated: { sessionId: string; elapsedSeconds: number } }>(
      ws.client,
      'subscription Narrow($id: ID!) { timerUpdated(sessionId: $id) { sessionId elapsedSeconds } }',
      { id: session.id },
    );
    const aliased = collect<{ t: { status: string; serverTime: string; remainingSeconds: number | null; __typename: string } }>(
      ws.client,
      'subscription Aliased($id: ID!) { t: timerUpdated(sessionId: $id) { __typename status serverTime remainingSeconds } }',
      { id: session.id },
    );
    // A directive makes the payload depend on variables: this one is executed, not compiled.
    const directed = collect<{ timerUpdated: { sessionId: string } }>(
      ws.client,
      'subscription Directed($id: ID!, $all: Boolean!) { timerUpdated(sessionId: $id) { sessionId status @include(if: $all) } }',
      { id: session.id, all: false },
    );
    await Promise.all([narrow.waitFor(4), aliased.waitFor(4), directed.waitFor(4)]);
    for (const r of directed.results) expect(r).toEqual({ data: { timerUpdated: { sessionId: session.id } } });
    for (const r of narrow.results) {
      expect(r.errors).toBeUndefined();
      expect(Object.keys(r.data!)).toEqual(['timerUpdated']);
      expect(Object.keys(r.data!.timerUpdated)).toEqual(['sessionId', 'elapsedSeconds']);
      expect(r.data!.timerUpdated.sessionId).toBe(session.id);
    }
    for (const r of aliased.results) {
      expect(r.errors).toBeUndefined();
      expect(Object.keys(r.data!)).toEqual(['t']);
      expect(r.data!.t).toEqual({ __typename: 'TimerUpdate', status: 'RUNNING', serverTime: expect.any(String), remainingSeconds: null });
    }
    expect(t.server.stats()).toMatchObject({ activeSubscriptions: 3, tickerRegistrations: 1 });
    narrow.unsubscribe();
    aliased.unsubscribe();
    directed.unsubscribe();
  });

  it('sends a subscriber that joins between two ticks the current state first, then the shared ticks', async () => {
    const { student, session } = await studentWithSession(t.client());
    const [ws1, ws2] = await Promise.all([connect(student), connect(student)]);
    const first = subscribe(ws1, session.id);
    await first.waitFor(3);
    // Mid-interval: half a tick after the last one the first subscriber saw.
    const lastSeen = ms(updates(first).at(-1)!.serverTime);
    await sleep(Math.max(0, lastSeen + TICK_MS / 2 - clock.now().getTime()));
    const joinedAt = clock.now().getTime();
    const late = subscribe(ws2, session.id);
    await late.waitFor(3);
    const [current, ...ticks] = updates(late);
    // Its first message is the state at the moment it joined, not the previous or next tick.
    expect(ms(current!.serverTime)).toBeGreaterThanOrEqual(joinedAt - 5);
    expect(updates(first).some((u) => u.serverTime === current!.serverTime)).toBe(false);
    // What follows are the ticks every subscriber of the session gets.
    await first.waitFor(first.results.length + 1);
    for (const tick of ticks) expect(updates(first).filter((u) => u.serverTime === tick.serverTime)).toEqual([tick]);
  });

  it('releases everything when the client completes its subscription', async () => {
    const { student, session } = await studentWithSession(t.client());
    const ws = await connect(student);
    const sub = subscribe(ws, session.id);
    await sub.waitFor(2);
    expect(t.server.stats()).toMatchObject({ activeSubscriptions: 1, tickerRegistrations: 1, pubsubListeners: 1 });
    sub.unsubscribe();
    await eventually(
      () => {
        const s = t.server.stats();
        return s.activeSubscriptions === 0 && s.tickerRegistrations === 0 && s.pubsubListeners === 0;
      },
      5_000,
      'the subscription to be released',
    );
    // The socket itself stays open and usable.
    expect(t.server.stats()).toMatchObject({ openSockets: 1, authenticatedConnections: 1 });
    const again = subscribe(ws, session.id);
    await again.waitFor(2);
  });
});
