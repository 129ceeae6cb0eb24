import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, SESSION_NOT_FOUND_MESSAGE, SUBJECT_NOT_FOUND_MESSAGE } from '../src/errors.js';
import type { StudySessionRow } from '../src/sessions/session.table.js';
import {
  ACTIVE_SESSION,
  CREATE_SUBJECT,
  createSubject,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  SESSIONS,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
  SUBJECTS,
} from './support/fixtures.js';
import type {
  SessionFieldsFragment as Session,
  SessionsQuery,
  SessionsQueryVariables,
  StartSessionInput,
  TypedDocumentString,
} from './__generated__/graphql.js';
import { startTestServer, type TestServer } from './support/server.js';

type SessionPage = SessionsQuery['sessions'];

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const transitions = { pause: PAUSE_SESSION, resume: RESUME_SESSION, stop: STOP_SESSION } as const;
type Transition = keyof typeof transitions;

/**
 * Access tokens expire by the same manual clock the sessions use; tests move it by up to an hour
 * after signing up, so tokens here live for a day.
 */
const env = { ACCESS_TOKEN_TTL_SECONDS: '86400' };

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env });
});
afterAll(() => t.close());

/** The clock's current instant as the API writes it. */
const nowIso = (server: TestServer = t): string => server.clock.now().toISOString();
/** `iso` moved by `ms` milliseconds. */
const plusMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/** A new student with one subject. */
async function studentWithSubject(server: TestServer = t): Promise<{ student: Student; subjectId: string }> {
  const student = await signUpStudent(server.client());
  return { student, subjectId: await createSubject(student) };
}

async function start(student: Student, input: StartSessionInput): Promise<Session> {
  return (await student.client.ok(START_SESSION, { input })).startSession;
}

async function transition(student: Student, kind: Transition, id: string): Promise<Session> {
  // Each of the three answers under its own field: one document type for all of them.
  const document: TypedDocumentString<Partial<Record<`${Transition}Session`, Session>>, { id: string }> = transitions[kind];
  const data = await student.client.ok(document, { id });
  return data[`${kind}Session`]!;
}

async function read(student: Student, id: string): Promise<Session> {
  const data = await student.client.ok(SESSION, { id });
  return data.session!;
}

async function active(student: Student): Promise<Session | null> {
  return (await student.client.ok(ACTIVE_SESSION)).activeSession;
}

async function page(student: Student, args: SessionsQueryVariables = {}): Promise<SessionPage> {
  return (await student.client.ok(SESSIONS, args)).sessions;
}

/** The stored row of a session, read straight from the database. */
async function row(id: string, server: TestServer = t): Promise<StudySessionRow> {
  return server.db.handle.db.selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Every stored session of a student. */
async function rowsOf(userId: string, server: TestServer = t): Promise<StudySessionRow[]> {
  return server.db.handle.db.selectFrom('study_sessions').selectAll().where('user_id', '=', userId).execute();
}

/**
 * Reads the row every 100 ms until `done` holds, for the background sweeper (which runs every
 * second of real time) to catch up; fails after 5 s.
 */
async function pollRow(id: string, done: (r: StudySessionRow) => boolean): Promise<StudySessionRow> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const current = await row(id);
    if (done(current)) return current;
    if (Date.now() > deadline) throw new Error(`session ${id} is still ${current.status} after 5 s`);
    await sleep(100);
  }
}

const isCompleted = (r: StudySessionRow): boolean => r.status === 'COMPLETED';

describe('subjects', () => {
  it('creates subjects and lists them oldest first', async () => {
    const student = await signUpStudent(t.client());
    const created: { id: string; name: string; createdAt: string }[] = [];
    for (const name of ['Physics', 'Algebra', 'Chemistry']) {
      created.push((await student.client.ok(CREATE_SUBJECT, { name })).createSubject);
    }
    expect(created.map((s) => s.name)).toEqual(['Physics', 'Algebra', 'Chemistry']);
    for (const s of created) expect(s.createdAt).toMatch(ISO_INSTANT);

    const listed = await student.client.ok(SUBJECTS);
    expect(listed.subjects).toEqual(created.map(({ id, name }) => ({ id, name })));
  });

  it('lists subjects created in the same instant in the order they were created', async () => {
    // The embedded database's clock has millisecond resolution: such ties happen there.
    const student = await signUpStudent(t.client());
    const createdAt = new Date('2026-01-05T10:00:00.000Z');
    const rows = ['Zoology', 'Art', 'Music', 'Geology'].map((name) => ({ id: randomUUID(), user_id: student.userId, name, created_at: createdAt }));
    for (const row of rows) await t.db.handle.db.insertInto('subjects').values(row).execute();

    const listed = await student.client.ok(SUBJECTS);
    expect(listed.subjects).toEqual(rows.map(({ id, name }) => ({ id, name })));
  });

  it('shows each student only their own subjects', async () => {
    const alice = await signUpStudent(t.client());
    const bob = await signUpStudent(t.client());
    const aliceMath = await createSubject(alice, 'Math');
    const aliceArt = await createSubject(alice, 'Art');
    const bobMath = await createSubject(bob, 'Math');

    expect((await alice.client.ok(SUBJECTS)).subjects).toEqual([
      { id: aliceMath, name: 'Math' },
      { id: aliceArt, name: 'Art' },
    ]);
    expect((await bob.client.ok(SUBJECTS)).subjects).toEqual([{ id: bobMath, name: 'Math' }]);
  });

  it("refuses to start a session on another student's subject with NOT_FOUND", async () => {
    const { subjectId: foreign } = await studentWithSubject();
    const student = await signUpStudent(t.client());
    const err = await student.client.fail(START_SESSION, { input: { subjectId: foreign, type: 'FREE' } });
    expect(err.message).toBe(SUBJECT_NOT_FOUND_MESSAGE);
    expect(err.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(await rowsOf(student.userId)).toEqual([]);
  });
});

describe('a FREE session', () => {
  it('starts RUNNING at the clock instant with nothing elapsed and no plan', async () => {
    const { student, subjectId } = await studentWithSubject();
    const session = await start(student, { subjectId, type: 'FREE' });
    expect(session).toEqual({
      id: expect.any(String),
      type: 'FREE',
      status: 'RUNNING',
      elapsedSeconds: 0,
      focusSeconds: null,
      remainingSeconds: null,
      startedAt: nowIso(),
      endedAt: null,
      pausedReason: null,
      subject: { id: subjectId, name: expect.any(String) },
    });
    const stored = await row(session.id);
    expect(stored).toMatchObject({ user_id: student.userId, subject_id: subjectId, accumulated_ms: 0 });
    expect(stored.run_started_at).toEqual(t.clock.now());
    expect(stored.started_at).toEqual(t.clock.now());
  });

  it('shows whole elapsed seconds, rounded down, while running', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advance(90_500);
    expect(await read(student, id)).toMatchObject({ status: 'RUNNING', elapsedSeconds: 90, remainingSeconds: null });
  });

  it('pauses with reason USER, banking the exact time run', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advance(90_500);
    const paused = await transition(student, 'pause', id);
    expect(paused).toMatchObject({ id, status: 'PAUSED', pausedReason: 'USER', elapsedSeconds: 90, endedAt: null });
    expect(await row(id)).toMatchObject({ status: 'PAUSED', accumulated_ms: 90_500, run_started_at: null, paused_reason: 'USER' });
  });

  it('does not count time while paused', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advance(90_500);
    const paused = await transition(student, 'pause', id);
    t.clock.advanceSeconds(1000);
    expect(await read(student, id)).toEqual(paused);
  });

  it('resumes RUNNING and keeps counting from the banked time, milliseconds included', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advance(90_500);
    await transition(student, 'pause', id);
    t.clock.advanceSeconds(1000);
    const resumed = await transition(student, 'resume', id);
    expect(resumed).toMatchObject({ status: 'RUNNING', pausedReason: null, elapsedSeconds: 90 });
    expect((await row(id)).run_started_at).toEqual(t.clock.now());

    // 90.5 s banked + 9.5 s run = exactly 100 s: the banked half second was not dropped.
    t.clock.advance(9_500);
    expect((await read(student, id)).elapsedSeconds).toBe(100);
    t.clock.advance(500);
    expect((await read(student, id)).elapsedSeconds).toBe(100);
  });

  it('stops at the clock instant and never counts again', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id, startedAt } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advance(90_500);
    await transition(student, 'pause', id);
    t.clock.advanceSeconds(1000);
    await transition(student, 'resume', id);
    t.clock.advanceSeconds(10);

    const stopped = await transition(student, 'stop', id);
    expect(stopped).toMatchObject({
      status: 'STOPPED',
      startedAt,
      endedAt: nowIso(),
      elapsedSeconds: 100,
      remainingSeconds: null,
      pausedReason: null,
    });
    expect(await row(id)).toMatchObject({ status: 'STOPPED', accumulated_ms: 100_500, run_started_at: null, ended_at: t.clock.now() });

    t.clock.advanceSeconds(3600);
    expect(await read(student, id)).toEqual(stopped);
  });

  it('stops straight from PAUSED without counting the paused time', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(30);
    await transition(student, 'pause', id);
    t.clock.advanceSeconds(500);
    expect(await transition(student, 'stop', id)).toMatchObject({ status: 'STOPPED', elapsedSeconds: 30, endedAt: nowIso(), pausedReason: null });
  });

  it('refuses focusMinutes with BAD_USER_INPUT and inserts nothing', async () => {
    const { student, subjectId } = await studentWithSubject();
    const err = await student.client.fail(START_SESSION, { input: { subjectId, type: 'FREE', focusMinutes: 25 } });
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'focusMinutes' });
    expect(await rowsOf(student.userId)).toEqual([]);
  });
});

describe('a POMODORO session', () => {
  it('plans 25 minutes when focusMinutes is omitted', async () => {
    const { student, subjectId } = await studentWithSubject();
    expect(await start(student, { subjectId, type: 'POMODORO' })).toMatchObject({
      type: 'POMODORO',
      status: 'RUNNING',
      focusSeconds: 1500,
      elapsedSeconds: 0,
      remainingSeconds: 1500,
      startedAt: nowIso(),
      endedAt: null,
    });
  });

  it('plans the given focusMinutes', async () => {
    const { student, subjectId } = await studentWithSubject();
    const session = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 40 });
    expect(session).toMatchObject({ focusSeconds: 2400, remainingSeconds: 2400, elapsedSeconds: 0 });
    expect((await row(session.id)).focus_seconds).toBe(2400);
  });

  it.each([0, 181, -5])('refuses focusMinutes %i with BAD_USER_INPUT and inserts nothing', async (focusMinutes) => {
    const { student, subjectId } = await studentWithSubject();
    const err = await student.client.fail(START_SESSION, { input: { subjectId, type: 'POMODORO', focusMinutes } });
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'focusMinutes' });
    expect(await rowsOf(student.userId)).toEqual([]);
  });

  it('counts remaining seconds down, rounded up, so that elapsed plus remaining is the plan', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 25 });
    const seen: [number, number][] = [];
    for (const stepMs of [300, 700, 99_300, 1, 999, 600_000]) {
      t.clock.advance(stepMs);
      const s = await read(student, id);
      expect(s.elapsedSeconds + s.remainingSeconds!).toBe(1500);
      seen.push([s.elapsedSeconds, s.remainingSeconds!]);
    }
    expect(seen).toEqual([
      [0, 1500],
      [1, 1499],
      [100, 1400],
      [100, 1400],
      [101, 1399],
      [701, 799],
    ]);
  });

  it('keeps its remaining seconds while paused', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 25 });
    t.clock.advance(100_300);
    const paused = await transition(student, 'pause', id);
    expect(paused).toMatchObject({ status: 'PAUSED', elapsedSeconds: 100, remainingSeconds: 1400 });
    t.clock.advanceSeconds(3600);
    expect(await read(student, id)).toEqual(paused);
  });

  it('is completed by the server with nobody watching, at the exact instant its plan ran out', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id, startedAt } = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(75);

    const completed = await pollRow(id, isCompleted);
    expect(completed).toMatchObject({ accumulated_ms: 60_000, run_started_at: null, paused_reason: null });
    expect(completed.ended_at).toEqual(new Date(Date.parse(startedAt) + 60_000));

    expect(await read(student, id)).toMatchObject({
      status: 'COMPLETED',
      elapsedSeconds: 60,
      remainingSeconds: 0,
      endedAt: plusMs(startedAt, 60_000),
      pausedReason: null,
    });
  });

  it('is completed by the server when the clock reaches its instant, not a millisecond before', async () => {
    // A second student's POMODORO, started 1 ms earlier, runs out 1 ms earlier: once the server
    // has completed it, a sweep has looked at the clock that stood 1 ms short of ours.
    const witness = await studentWithSubject();
    const { id: witnessId } = await start(witness.student, { subjectId: witness.subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advance(1);
    const { student, subjectId } = await studentWithSubject();
    const { id, startedAt } = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advance(59_999);

    await pollRow(witnessId, isCompleted);
    expect(await row(id)).toMatchObject({ status: 'RUNNING', accumulated_ms: 0 });

    t.clock.advance(1);
    const completed = await pollRow(id, isCompleted);
    expect(completed.ended_at).toEqual(new Date(Date.parse(startedAt) + 60_000));
    expect(completed.ended_at).toEqual(t.clock.now());
  });

  it('is completed at the instant the plan ran out when it was paused along the way', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(20);
    await transition(student, 'pause', id);
    t.clock.advanceSeconds(100);
    const resumedAt = nowIso();
    await transition(student, 'resume', id);
    t.clock.advanceSeconds(50);

    // 20 s before the pause leave 40 s after the resume.
    const completed = await pollRow(id, isCompleted);
    expect(completed).toMatchObject({ accumulated_ms: 60_000, run_started_at: null });
    expect(completed.ended_at).toEqual(new Date(Date.parse(resumedAt) + 40_000));
    expect(await read(student, id)).toMatchObject({
      status: 'COMPLETED',
      elapsedSeconds: 60,
      remainingSeconds: 0,
      endedAt: plusMs(resumedAt, 40_000),
    });
  });

  it('is left PAUSED by the server however long ago its plan would have run out', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(30);
    await transition(student, 'pause', id);
    const pausedRow = await row(id);
    // A running POMODORO of another student that runs out now tells us when a sweep has happened.
    const witness = await studentWithSubject();
    const { id: witnessId } = await start(witness.student, { subjectId: witness.subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(3600);

    await pollRow(witnessId, isCompleted);
    expect(await row(id)).toEqual(pausedRow);
    expect(await read(student, id)).toMatchObject({ status: 'PAUSED', elapsedSeconds: 30, remainingSeconds: 30 });
  });
});

describe('an expired POMODORO the sweeper has not reached yet', () => {
  let lazy: TestServer;
  beforeAll(async () => {
    lazy = await startTestServer({ env: { ...env, COMPLETION_SWEEP_SECONDS: '3600' } });
  });
  afterAll(() => lazy.close());

  /** A student of the lazy server whose 1-minute POMODORO ran out `overrunMs` ago. */
  async function expired(overrunMs: number): Promise<{ student: Student; subjectId: string; session: Session }> {
    const { student, subjectId } = await studentWithSubject(lazy);
    const session = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    lazy.clock.advance(60_000 + overrunMs);
    expect((await row(session.id, lazy)).status).toBe('RUNNING');
    return { student, subjectId, session };
  }

  it('already reads as COMPLETED, ended when its plan ran out', async () => {
    const { student, session } = await expired(1_500);
    expect(await read(student, session.id)).toEqual({
      ...session,
      status: 'COMPLETED',
      elapsedSeconds: 60,
      remainingSeconds: 0,
      endedAt: plusMs(session.startedAt, 60_000),
    });
  });

  it('does not block a new session, and is stored as COMPLETED when one starts', async () => {
    const { student, subjectId, session } = await expired(0);
    const next = await start(student, { subjectId, type: 'FREE' });
    expect(next).toMatchObject({ status: 'RUNNING', startedAt: nowIso(lazy) });

    const old = await row(session.id, lazy);
    expect(old).toMatchObject({ status: 'COMPLETED', accumulated_ms: 60_000, run_started_at: null });
    expect(old.ended_at).toEqual(new Date(Date.parse(session.startedAt) + 60_000));
    expect((await rowsOf(student.userId, lazy)).filter((r) => r.status === 'RUNNING').map((r) => r.id)).toEqual([next.id]);
  });

  it('lets exactly one of 20 concurrent starts win, completing the expired one once', async () => {
    const { student, subjectId, session } = await expired(5_000);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => student.client.request(START_SESSION, { input: { subjectId, type: 'FREE' } })),
    );
    const winners = responses.filter((r) => r.data?.startSession);
    expect(winners).toHaveLength(1);
    const winnerId = winners[0]!.data!.startSession.id;
    for (const loser of responses.filter((r) => !r.data?.startSession)) {
      expect(loser.errors?.map((e) => e.extensions)).toEqual([{ code: 'SESSION_ALREADY_ACTIVE', activeSessionId: winnerId }]);
    }
    const stored = await rowsOf(student.userId, lazy);
    expect(stored.map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [session.id, 'COMPLETED'],
        [winnerId, 'RUNNING'],
      ].sort(),
    );
    expect(stored.find((r) => r.id === session.id)!.ended_at).toEqual(new Date(Date.parse(session.startedAt) + 60_000));
  });

  it('is not the active session', async () => {
    const { student, session } = await expired(10_000);
    expect(await active(student)).toBeNull();
    expect((await row(session.id, lazy)).status).toBe('COMPLETED');
  });

  it('is listed as COMPLETED, not RUNNING, by the status filter', async () => {
    const { student, session } = await expired(10_000);
    expect((await page(student, { status: 'RUNNING' })).edges).toEqual([]);
    expect((await page(student, { status: 'COMPLETED' })).edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ id: session.id, status: 'COMPLETED', endedAt: plusMs(session.startedAt, 60_000) }),
    ]);
  });

  it('refuses to be paused with INVALID_SESSION_STATE naming COMPLETED, and is stored as completed', async () => {
    const { student, session } = await expired(10_000);
    const err = await student.client.fail(PAUSE_SESSION, { id: session.id });
    expect(err.message).toBe('Cannot pause a session that is COMPLETED');
    expect(err.extensions).toEqual({ code: 'INVALID_SESSION_STATE', status: 'COMPLETED' });
    const stored = await row(session.id, lazy);
    expect(stored).toMatchObject({ status: 'COMPLETED', accumulated_ms: 60_000, run_started_at: null });
    expect(stored.ended_at).toEqual(new Date(Date.parse(session.startedAt) + 60_000));
  });
});

describe('INVALID_SESSION_STATE', () => {
  /** Asks for `kind` on a session that cannot make it, and checks the error and that the row did not change. */
  async function expectRefused(student: Student, kind: Transition, id: string, status: Session['status']): Promise<void> {
    const before = await row(id);
    const err = await student.client.fail(transitions[kind], { id });
    expect(err.message).toBe(`Cannot ${kind} a session that is ${status}`);
    expect(err.extensions).toEqual({ code: 'INVALID_SESSION_STATE', status });
    expect(err.path).toEqual([`${kind}Session`]);
    expect(await row(id)).toEqual(before);
  }

  it('refuses to pause a paused session', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(5);
    await transition(student, 'pause', id);
    t.clock.advanceSeconds(5);
    await expectRefused(student, 'pause', id, 'PAUSED');
  });

  it('refuses to resume a running session', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(5);
    await expectRefused(student, 'resume', id, 'RUNNING');
  });

  it.each(['pause', 'resume', 'stop'] as const)('refuses to %s a stopped session', async (kind) => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(5);
    await transition(student, 'stop', id);
    t.clock.advanceSeconds(5);
    await expectRefused(student, kind, id, 'STOPPED');
  });

  it.each(['pause', 'resume', 'stop'] as const)('refuses to %s a completed session', async (kind) => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(61);
    await pollRow(id, isCompleted);
    await expectRefused(student, kind, id, 'COMPLETED');
  });
});

describe('ownership', () => {
  it.each(['pause', 'resume', 'stop'] as const)(
    "answers NOT_FOUND to %s on another student's session and leaves it alone",
    async (kind) => {
      const owner = await studentWithSubject();
      const { id } = await start(owner.student, { subjectId: owner.subjectId, type: 'FREE' });
      const before = await row(id);
      const intruder = await signUpStudent(t.client());
      const err = await intruder.client.fail(transitions[kind], { id });
      expect(err.message).toBe(SESSION_NOT_FOUND_MESSAGE);
      expect(err.extensions).toEqual({ code: 'NOT_FOUND' });
      expect(await row(id)).toEqual(before);
    },
  );

  it("answers NOT_FOUND when reading another student's session", async () => {
    const owner = await studentWithSubject();
    const { id } = await start(owner.student, { subjectId: owner.subjectId, type: 'FREE' });
    const intruder = await signUpStudent(t.client());
    const err = await intruder.client.fail(SESSION, { id });
    expect(err.message).toBe(SESSION_NOT_FOUND_MESSAGE);
    expect(err.extensions).toEqual({ code: 'NOT_FOUND' });
    expect((await page(intruder)).edges).toEqual([]);
    expect(await active(intruder)).toBeNull();
  });
});

describe('SESSION_ALREADY_ACTIVE', () => {
  it('refuses a second session while one is RUNNING, naming the running one', async () => {
    const { student, subjectId } = await studentWithSubject();
    const running = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(5);
    const err = await student.client.fail(START_SESSION, { input: { subjectId, type: 'POMODORO' } });
    expect(err.message).toBe(ErrorCodes.SESSION_ALREADY_ACTIVE);
    expect(err.extensions).toEqual({ code: 'SESSION_ALREADY_ACTIVE', activeSessionId: running.id });
    expect((await rowsOf(student.userId)).map((r) => r.id)).toEqual([running.id]);
  });

  it('refuses a second session while one is PAUSED, naming the paused one', async () => {
    const { student, subjectId } = await studentWithSubject();
    const other = await createSubject(student);
    const pausedOne = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(5);
    await transition(student, 'pause', pausedOne.id);
    t.clock.advanceSeconds(3600);
    const err = await student.client.fail(START_SESSION, { input: { subjectId: other, type: 'FREE' } });
    expect(err.extensions).toEqual({ code: 'SESSION_ALREADY_ACTIVE', activeSessionId: pausedOne.id });
    expect((await rowsOf(student.userId)).map((r) => [r.id, r.status])).toEqual([[pausedOne.id, 'PAUSED']]);
  });

  it('lets exactly one of 20 concurrent starts win and names the winner to the other 19', async () => {
    const { student, subjectId } = await studentWithSubject();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        student.client.request(START_SESSION, {
          input: i % 2 === 0 ? { subjectId, type: 'FREE' } : { subjectId, type: 'POMODORO', focusMinutes: 5 },
        }),
      ),
    );
    const winners = responses.filter((r) => r.data?.startSession);
    expect(winners).toHaveLength(1);
    const winnerId = winners[0]!.data!.startSession.id;

    const losers = responses.filter((r) => !r.data?.startSession);
    expect(losers).toHaveLength(19);
    for (const loser of losers) {
      expect(loser.status).toBe(200);
      expect(loser.errors).toHaveLength(1);
      expect(loser.errors![0]!.extensions).toEqual({ code: 'SESSION_ALREADY_ACTIVE', activeSessionId: winnerId });
    }

    const stored = await rowsOf(student.userId);
    expect(stored.map((r) => [r.id, r.status])).toEqual([[winnerId, 'RUNNING']]);
    expect(t.rawLogs()).not.toContain('unexpected error in operation');
  });
});

describe('concurrent transitions', () => {
  it('let exactly one of 10 concurrent pauses win; the others see PAUSED', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(12);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => student.client.request(PAUSE_SESSION, { id })),
    );
    const winners = responses.filter((r) => r.data?.pauseSession);
    expect(winners.map((r) => r.data!.pauseSession)).toEqual([expect.objectContaining({ id, status: 'PAUSED', elapsedSeconds: 12 })]);
    for (const loser of responses.filter((r) => !r.data?.pauseSession)) {
      expect(loser.errors?.map((e) => e.extensions)).toEqual([{ code: 'INVALID_SESSION_STATE', status: 'PAUSED' }]);
    }
    expect(await row(id)).toMatchObject({ status: 'PAUSED', accumulated_ms: 12_000, run_started_at: null });
  });

  it('let a stop and a pause racing each other leave the session in the state of the one that won', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(8);
    const [stop, pause] = await Promise.all([
      student.client.request(STOP_SESSION, { id }),
      student.client.request(PAUSE_SESSION, { id }),
    ]);
    const stored = await row(id);
    // Either order is fine: stop then a refused pause, or pause then stop from PAUSED.
    expect(stop.data?.stopSession).toMatchObject({ status: 'STOPPED', elapsedSeconds: 8 });
    expect(stored).toMatchObject({ status: 'STOPPED', accumulated_ms: 8_000, run_started_at: null });
    if (pause.data?.pauseSession) expect(pause.data.pauseSession.status).toBe('PAUSED');
    else expect(pause.errors?.map((e) => e.extensions)).toEqual([{ code: 'INVALID_SESSION_STATE', status: 'STOPPED' }]);
  });
});

describe('activeSession', () => {
  it('is null when the student has no session', async () => {
    const { student } = await studentWithSubject();
    expect(await active(student)).toBeNull();
  });

  it('is the running session', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(42);
    const current = await active(student);
    expect(current).toEqual(await read(student, id));
    expect(current).toMatchObject({ id, status: 'RUNNING', elapsedSeconds: 42 });
  });

  it('is the paused session', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(7);
    const paused = await transition(student, 'pause', id);
    t.clock.advanceSeconds(100);
    expect(await active(student)).toEqual(paused);
  });

  it('is null again once the session is stopped', async () => {
    const { student, subjectId } = await studentWithSubject();
    const { id } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(7);
    await transition(student, 'stop', id);
    expect(await active(student)).toBeNull();
  });
});

describe('the sessions connection', () => {
  /** Starts and stops `count` FREE sessions a minute apart; returns their ids oldest first. */
  async function history(student: Student, subjectIds: string[], count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { id } = await start(student, { subjectId: subjectIds[i % subjectIds.length]!, type: 'FREE' });
      t.clock.advanceSeconds(30);
      await transition(student, 'stop', id);
      t.clock.advanceSeconds(30);
      ids.push(id);
    }
    return ids;
  }

  /** Follows `after` cursors with pages of `first` until the end; returns every page. */
  async function walk(student: Student, first: number, args: SessionsQueryVariables = {}): Promise<SessionPage[]> {
    const pages: SessionPage[] = [];
    let after: string | null = null;
    do {
      const current: SessionPage = await page(student, { ...args, first, after });
      pages.push(current);
      after = current.pageInfo.hasNextPage ? current.pageInfo.endCursor : null;
      if (pages.length > 20) throw new Error('pagination does not end');
    } while (after);
    return pages;
  }

  it('lists sessions newest first', async () => {
    const { student, subjectId } = await studentWithSubject();
    const ids = await history(student, [subjectId], 4);
    const { edges, pageInfo } = await page(student);
    expect(edges.map((e) => e.node.id)).toEqual([...ids].reverse());
    expect(pageInfo).toEqual({ hasNextPage: false, endCursor: edges.at(-1)!.cursor });
    const starts = edges.map((e) => Date.parse(e.node.startedAt));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
  });

  it('walks every session once, in order, with pages of 3 and after cursors', async () => {
    const { student, subjectId } = await studentWithSubject();
    const ids = await history(student, [subjectId], 7);
    const pages = await walk(student, 3);

    expect(pages.map((p) => p.edges.length)).toEqual([3, 3, 1]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
    for (const p of pages) expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)!.cursor);
    expect(pages.flatMap((p) => p.edges.map((e) => e.node.id))).toEqual([...ids].reverse());
  });

  it('says there is no next page when the last page is exactly full', async () => {
    const { student, subjectId } = await studentWithSubject();
    const ids = await history(student, [subjectId], 6);
    const pages = await walk(student, 3);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, false]);
    expect(pages.flatMap((p) => p.edges.map((e) => e.node.id))).toEqual([...ids].reverse());
    expect((await page(student, { first: 3, after: pages[1]!.pageInfo.endCursor })).edges).toEqual([]);
  });

  it('walks sessions that started at the same instant without duplicates or gaps', async () => {
    const { student, subjectId } = await studentWithSubject();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { id } = await start(student, { subjectId, type: 'FREE' });
      await transition(student, 'stop', id);
      ids.push(id);
    }
    const walked = (await walk(student, 2)).flatMap((p) => p.edges.map((e) => e.node.id));
    expect(walked).toHaveLength(5);
    expect([...walked].sort()).toEqual([...ids].sort());
    // Same start instant: ties are broken by id, descending.
    expect(walked).toEqual([...walked].sort().reverse());
  });

  it('filters by subject', async () => {
    const { student, subjectId } = await studentWithSubject();
    const other = await createSubject(student);
    const ids = await history(student, [subjectId, other], 6);
    const pages = await walk(student, 2, { subjectId: other });
    expect(pages.flatMap((p) => p.edges.map((e) => e.node.id))).toEqual([ids[5], ids[3], ids[1]]);
    for (const p of pages) for (const e of p.edges) expect(e.node.subject.id).toBe(other);
  });

  it('filters by status', async () => {
    const { student, subjectId } = await studentWithSubject();
    const stoppedIds = await history(student, [subjectId], 3);
    const { id: pausedId } = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(10);
    await transition(student, 'pause', pausedId);

    const ids = async (status: Session['status']) => (await page(student, { status })).edges.map((e) => e.node.id);
    expect(await ids('STOPPED')).toEqual([...stoppedIds].reverse());
    expect(await ids('PAUSED')).toEqual([pausedId]);
    expect(await ids('RUNNING')).toEqual([]);
    expect(await ids('COMPLETED')).toEqual([]);
  });

  it('rejects a cursor it did not issue with BAD_USER_INPUT on field after', async () => {
    const { student } = await studentWithSubject();
    const err = await student.client.fail(SESSIONS, { first: 3, after: 'not-a-cursor' });
    expect(err.message).toBe('after is not a valid cursor');
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it.each([0, 101])('rejects first = %i with BAD_USER_INPUT on field first', async (first) => {
    const { student } = await studentWithSubject();
    const err = await student.client.fail(SESSIONS, { first });
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});

describe('time values', () => {
  it('are ISO strings with milliseconds equal to the manual clock instants', async () => {
    const { student, subjectId } = await studentWithSubject();
    // Land on a millisecond part of .123 so that a lost millisecond would show.
    t.clock.advance(1_000 - (t.clock.now().getTime() % 1_000) + 123);
    const startedAt = nowIso();
    expect(startedAt).toMatch(/\.123Z$/);
    const { id, ...started } = await start(student, { subjectId, type: 'FREE' });
    expect(started.startedAt).toBe(startedAt);
    expect(started.startedAt).toMatch(ISO_INSTANT);

    t.clock.advance(4_567);
    const endedAt = nowIso();
    const stopped = await transition(student, 'stop', id);
    expect(stopped.endedAt).toBe(endedAt);
    expect(stopped.endedAt).toMatch(ISO_INSTANT);
    expect(stopped.startedAt).toBe(startedAt);
    expect(stopped.elapsedSeconds).toBe(4);

    const stored = await row(id);
    expect(stored.started_at.toISOString()).toBe(startedAt);
    expect(stored.ended_at?.toISOString()).toBe(endedAt);
  });
});
