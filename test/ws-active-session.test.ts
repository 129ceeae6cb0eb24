import { setTimeout as sleep } from 'node:timers/promises';
import {
  ACTIVE_SESSION,
  ACTIVE_SESSION_UPDATED,
  createSubject,
  PAUSE_SESSION,
  RESUME_SESSION,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
  studentWithSession,
} from './support/fixtures.js';
import type { ActiveSessionUpdatedSubscription, SessionFieldsFragment as Session, StartSessionInput } from './__generated__/graphql.js';
import { ManualClock } from './support/manual-clock.js';
import { isIdle, startTestServer, type TestServer } from './support/server.js';
import { type Collected, collect, connectStudent, disposeSockets, eventually, type WsTestClient } from './support/ws-client.js';

// `activeSessionUpdated`: a student's active session live on every device, over real graphql-ws
// sockets. The clock stands still until a test moves it (the scheduler still wakes every
// interval in real time and finds nothing due), so every value is exact.

const TICK_MS = 100;

type Update = ActiveSessionUpdatedSubscription['activeSessionUpdated'];

const clock = new ManualClock();
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { TICK_INTERVAL_MS: String(TICK_MS), DISCONNECT_GRACE_SECONDS: '0' }, clock });
});
afterAll(() => t?.close());
afterEach(async () => {
  await disposeSockets();
  await eventually(() => isIdle(t.server.stats()), 5_000, 'an idle server');
});

const connect = (student: Student): Promise<WsTestClient> => connectStudent(t.origin, student);

function watch(ws: WsTestClient): Collected<ActiveSessionUpdatedSubscription> {
  return collect(ws.client, ACTIVE_SESSION_UPDATED);
}

/** Waits for `n` updates and returns them; fails on any result with errors. */
async function updates(sub: Collected<ActiveSessionUpdatedSubscription>, n: number): Promise<Update[]> {
  const results = await sub.waitFor(n);
  return results.map((r) => {
    expect(r.errors).toBeUndefined();
    return r.data!.activeSessionUpdated;
  });
}

async function start(student: Student, subjectId: string, input: Omit<StartSessionInput, 'subjectId'> = { type: 'FREE' }): Promise<Session> {
  return (await student.client.ok(START_SESSION, { input: { subjectId, ...input } })).startSession;
}

const now = (): string => clock.now().toISOString();

describe('first message', () => {
  it('is null when the student has no active session', async () => {
    const student = await signUpStudent(t.client());
    const sub = watch(await connect(student));
    expect(await updates(sub, 1)).toEqual([{ session: null, serverTime: now() }]);
  });

  it('is the active session, equal to an HTTP read of activeSession', async () => {
    const { student } = await studentWithSession(t.client(), { type: 'POMODORO', focusMinutes: 25 });
    clock.advance(42_500);
    const sub = watch(await connect(student));
    const [first] = await updates(sub, 1);
    const { activeSession } = await student.client.ok(ACTIVE_SESSION);
    expect(first).toEqual({ session: activeSession, serverTime: now() });
    expect(first!.session).toMatchObject({ status: 'RUNNING', elapsedSeconds: 42, remainingSeconds: 25 * 60 - 42 });
  });

  it('is null once the session has been stopped', async () => {
    const { student, session } = await studentWithSession(t.client());
    await student.client.ok(STOP_SESSION, { id: session.id });
    const sub = watch(await connect(student));
    expect(await updates(sub, 1)).toEqual([{ session: null, serverTime: now() }]);
  });
});

describe('changes from other devices', () => {
  it('reach every device of the student: start, pause, resume and stop, each exactly once', async () => {
    const student = await signUpStudent(t.client());
    const subjectId = await createSubject(student);
    const phone = watch(await connect(student));
    const laptop = watch(await connect(student));
    await Promise.all([updates(phone, 1), updates(laptop, 1)]);

    // The changes are made over HTTP, as a third device would.
    const started = await start(student, subjectId);
    await updates(phone, 2);
    clock.advance(3_000);
    const paused = (await student.client.ok(PAUSE_SESSION, { id: started.id })).pauseSession;
    await updates(phone, 3);
    const resumed = (await student.client.ok(RESUME_SESSION, { id: started.id })).resumeSession;
    await updates(phone, 4);
    const stopped = (await student.client.ok(STOP_SESSION, { id: started.id })).stopSession;

    const expected = [
      { session: null, serverTime: expect.any(String) },
      { session: started, serverTime: started.startedAt },
      { session: paused, serverTime: now() },
      { session: resumed, serverTime: now() },
      { session: stopped, serverTime: now() },
    ];
    expect(await updates(phone, 5)).toEqual(expected);
    expect(await updates(laptop, 5)).toEqual(expected);
    expect(stopped).toMatchObject({ status: 'STOPPED', elapsedSeconds: 3 });
    // Nothing else follows: no tick while paused or after the stop.
    clock.advance(5_000);
    await sleep(3 * TICK_MS);
    expect(phone.results).toHaveLength(5);
  });

  it('reports a change made over the WebSocket itself, and the next session after a stop', async () => {
    const { student, session } = await studentWithSession(t.client());
    const ws = await connect(student);
    const sub = watch(ws);
    await updates(sub, 1);
    const stop = collect(ws.client, STOP_SESSION, { id: session.id });
    await stop.done;
    const subjectId = await createSubject(student);
    const next = await start(student, subjectId);
    const received = await updates(sub, 3);
    expect(received[1]!.session).toEqual(stop.results[0]!.data!.stopSession);
    expect(received[2]).toEqual({ session: next, serverTime: next.startedAt });
  });

  it('never carries another student\'s sessions', async () => {
    const student = await signUpStudent(t.client());
    const sub = watch(await connect(student));
    await updates(sub, 1);
    const other = await studentWithSession(t.client());
    await other.student.client.ok(PAUSE_SESSION, { id: other.session.id });
    // The student's own change after the other's: the only one that arrives.
    const own = await start(student, await createSubject(student));
    expect(await updates(sub, 2)).toEqual([
      { session: null, serverTime: expect.any(String) },
      { session: own, serverTime: own.startedAt },
    ]);
    await sleep(3 * TICK_MS);
    expect(sub.results).toHaveLength(2);
  });
});

describe('ticks', () => {
  it('come each time the displayed second changes while the session runs, with the time computed from stored instants', async () => {
    const { student, session } = await studentWithSession(t.client(), { type: 'POMODORO', focusMinutes: 25 });
    const sub = watch(await connect(student));
    await updates(sub, 1);
    clock.advance(1_000);
    await updates(sub, 2);
    clock.advance(1_000);
    const [, first, second] = await updates(sub, 3);
    expect(first).toEqual({ session: { ...session, elapsedSeconds: 1, remainingSeconds: 25 * 60 - 1 }, serverTime: expect.any(String) });
    expect(second).toEqual({ session: { ...session, elapsedSeconds: 2, remainingSeconds: 25 * 60 - 2 }, serverTime: now() });
    // A still clock: nothing is due.
    await sleep(3 * TICK_MS);
    expect(sub.results).toHaveLength(3);
  });

  it('end with the COMPLETED state when a POMODORO runs out, and the subscription goes on', async () => {
    const { student, session } = await studentWithSession(t.client(), { type: 'POMODORO', focusMinutes: 1 });
    const sub = watch(await connect(student));
    await updates(sub, 1);
    clock.advance(61_000);
    const [, completed] = await updates(sub, 2);
    expect(completed!.session).toMatchObject({ id: session.id, status: 'COMPLETED', elapsedSeconds: 60, remainingSeconds: 0 });
    const row = await t.db.handle.db.selectFrom('study_sessions').select('status').where('id', '=', session.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('COMPLETED');
    // Still live: the next session arrives.
    const next = await start(student, await createSubject(student));
    expect((await updates(sub, 3))[2]).toEqual({ session: next, serverTime: next.startedAt });
  });
});

describe('selection sets', () => {
  it('give each subscriber exactly the fields it asked for', async () => {
    const { student, session } = await studentWithSession(t.client());
    const ws = await connect(student);
    const narrow = collect<{ activeSessionUpdated: { session: { id: string; elapsedSeconds: number } | null } }>(
      ws.client,
      'subscription { activeSessionUpdated { session { id elapsedSeconds } } }',
    );
    const wide = watch(ws);
    await Promise.all([narrow.waitFor(1), updates(wide, 1)]);
    clock.advance(1_000);
    await Promise.all([narrow.waitFor(2), updates(wide, 2)]);
    expect(narrow.results.map((r) => r.data)).toEqual([
      { activeSessionUpdated: { session: { id: session.id, elapsedSeconds: 0 } } },
      { activeSessionUpdated: { session: { id: session.id, elapsedSeconds: 1 } } },
    ]);
    expect((await updates(wide, 2))[1]!.session).toMatchObject({ id: session.id, elapsedSeconds: 1, subject: session.subject });
  });
});

describe('release', () => {
  it('holds nothing once the last device unsubscribes or disconnects', async () => {
    const { student } = await studentWithSession(t.client());
    const a = await connect(student);
    const b = await connect(student);
    const subA = watch(a);
    const subB = watch(b);
    await Promise.all([updates(subA, 1), updates(subB, 1)]);
    expect(t.server.stats()).toMatchObject({ activeSubscriptions: 2, tickerRegistrations: 1 });
    subA.unsubscribe();
    await eventually(() => t.server.stats().activeSubscriptions === 1, 5_000, 'one subscription left');
    expect(t.server.stats().tickerRegistrations).toBe(1);
    await b.dispose();
    await eventually(() => t.server.stats().activeSubscriptions === 0, 5_000, 'no subscription left');
    expect(t.server.stats()).toMatchObject({ tickerRegistrations: 0, pubsubListeners: 0 });
  });
});
