import type { StartSessionInput } from './__generated__/graphql.js';
import {
  createSubject,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
} from './support/fixtures.js';
import { startTestServer, type TestServer } from './support/server.js';
import { connectWs, eventually, wsUrl } from './support/ws-client.js';

// Every running stretch of a session is one row of study_session_runs, written in the
// transaction of the state change that begins or ends it: start and resume open one; pause,
// stop, completion (by the sweeper, or found by a request) and the pause after a disconnect
// close it, at the exact instant the session's elapsed time stops growing.

const GRACE_MS = 200;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { ACCESS_TOKEN_TTL_SECONDS: '86400', DISCONNECT_GRACE_SECONDS: String(GRACE_MS / 1000) } });
});
afterAll(() => t.close());

/** A session's stretches, oldest first, as [start, end] ISO strings (end null while open). */
async function runs(sessionId: string): Promise<[string, string | null][]> {
  const rows = await t.db.handle.db
    .selectFrom('study_session_runs')
    .select(['started_at', 'ended_at'])
    .where('session_id', '=', sessionId)
    .orderBy('id')
    .execute();
  return rows.map((r) => [r.started_at.toISOString(), r.ended_at?.toISOString() ?? null]);
}

/** Every stretch of a student, for "nothing written" checks. */
async function runsOfStudent(userId: string): Promise<unknown[]> {
  return t.db.handle.db.selectFrom('study_session_runs').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

const now = (): string => t.clock.now().toISOString();
const plus = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

async function studentWithSubject(): Promise<{ student: Student; subjectId: string }> {
  const student = await signUpStudent(t.client());
  return { student, subjectId: await createSubject(student) };
}

async function start(student: Student, input: StartSessionInput): Promise<string> {
  return (await student.client.ok(START_SESSION, { input })).startSession.id;
}

describe('a session driven by its student', () => {
  it('records each stretch from start or resume to pause or stop, to the millisecond', async () => {
    const { student, subjectId } = await studentWithSubject();
    const startedAt = now();
    const id = await start(student, { subjectId, type: 'FREE' });
    expect(await runs(id)).toEqual([[startedAt, null]]);

    t.clock.advance(20_250);
    await student.client.ok(PAUSE_SESSION, { id });
    expect(await runs(id)).toEqual([[startedAt, plus(startedAt, 20_250)]]);

    t.clock.advanceSeconds(600);
    const resumedAt = now();
    await student.client.ok(RESUME_SESSION, { id });
    t.clock.advance(9_999);
    await student.client.ok(STOP_SESSION, { id });

    expect(await runs(id)).toEqual([
      [startedAt, plus(startedAt, 20_250)],
      [resumedAt, plus(resumedAt, 9_999)],
    ]);
    const { session } = await student.client.ok(SESSION, { id });
    expect(session!.elapsedSeconds).toBe(30); // 20.250 s + 9.999 s
  });

  it('ends no stretch when stopped while paused', async () => {
    const { student, subjectId } = await studentWithSubject();
    const startedAt = now();
    const id = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(5);
    await student.client.ok(PAUSE_SESSION, { id });
    t.clock.advanceSeconds(50);
    await student.client.ok(STOP_SESSION, { id });
    expect(await runs(id)).toEqual([[startedAt, plus(startedAt, 5_000)]]);
  });

  it('writes nothing for a refused transition', async () => {
    const { student, subjectId } = await studentWithSubject();
    const id = await start(student, { subjectId, type: 'FREE' });
    const before = await runsOfStudent(student.userId);

    const refused = await student.client.fail(RESUME_SESSION, { id });
    expect(refused.extensions?.code).toBe('INVALID_SESSION_STATE');
    const stranger = await signUpStudent(t.client());
    expect((await stranger.client.fail(PAUSE_SESSION, { id })).extensions?.code).toBe('NOT_FOUND');
    expect(await runsOfStudent(student.userId)).toEqual(before);
  });

  it('opens exactly one stretch when 10 starts race, the refused ones rolled back whole', async () => {
    const { student, subjectId } = await studentWithSubject();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => student.client.request(START_SESSION, { input: { subjectId, type: 'FREE' } })),
    );
    const winners = answers.filter((a) => !a.errors).map((a) => a.data!.startSession.id);
    expect(winners).toHaveLength(1);
    expect(await runs(winners[0]!)).toEqual([[now(), null]]);
    expect(await runsOfStudent(student.userId)).toHaveLength(1);
  });
});

describe('racing transitions', () => {
  // A transition reads the session, then writes it by one compare-and-set statement; a loser
  // reads again. Whatever order the race takes, the stretches must match the stored state.
  it('keep one stretch per resume, each closed by the pause after it, under 30 racing pauses and resumes', async () => {
    const { student, subjectId } = await studentWithSubject();
    const id = await start(student, { subjectId, type: 'FREE' });
    t.clock.advanceSeconds(3);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? student.client.request(PAUSE_SESSION, { id }) : student.client.request(RESUME_SESSION, { id }))),
    );
    const won = answers.filter((a) => !a.errors).length;
    for (const a of answers.filter((x) => x.errors)) expect(a.errors!.map((e) => e.extensions?.code)).toEqual(['INVALID_SESSION_STATE']);
    const stored = await t.db.handle.db.selectFrom('study_sessions').select(['status', 'version', 'accumulated_ms']).where('id', '=', id).executeTakeFirstOrThrow();
    const stretches = await runs(id);
    // The first stretch and one more per winning resume; only a RUNNING session has an open one.
    const resumes = answers.filter((a, i) => i % 2 === 1 && !a.errors).length;
    expect(stretches).toHaveLength(1 + resumes);
    expect(stretches.filter(([, end]) => end === null)).toHaveLength(stored.status === 'RUNNING' ? 1 : 0);
    expect(stretches.slice(0, -1).every(([, end]) => end !== null)).toBe(true);
    // The version counts the start and every winner: no write was lost or made twice.
    const versionAfterStart = 1;
    expect(stored.version).toBe(versionAfterStart + won);
    const closed = stretches.filter(([, end]) => end !== null).reduce((ms, [from, to]) => ms + Date.parse(to!) - Date.parse(from), 0);
    expect(stored.accumulated_ms).toBe(closed);
  });

  it('fails a pause whose running stretch is missing as a whole, writing nothing', async () => {
    const { student, subjectId } = await studentWithSubject();
    const id = await start(student, { subjectId, type: 'FREE' });
    const before = await t.db.handle.db.selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    await t.db.handle.db.deleteFrom('study_session_runs').where('session_id', '=', id).execute();
    t.clock.advanceSeconds(4);
    const err = await student.client.fail(PAUSE_SESSION, { id });
    expect(err.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(err.message).toBe('Internal server error');
    expect(await t.db.handle.db.selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()).toEqual(before);
    expect(await runs(id)).toEqual([]);
  });
});

describe('a POMODORO whose time runs out', () => {
  it('ends its stretch at the completion instant when the sweeper completes it, not when the sweep ran', async () => {
    const { student, subjectId } = await studentWithSubject();
    const startedAt = now();
    const id = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(500);
    await eventually(async () => (await runs(id))[0]?.[1] !== null, 5_000, 'the sweeper to complete it');
    expect(await runs(id)).toEqual([[startedAt, plus(startedAt, 60_000)]]);
  });

  // A server whose sweeper never gets there during a test: the request is what finds it expired.
  let unswept: TestServer;
  beforeAll(async () => {
    unswept = await startTestServer({ env: { ACCESS_TOKEN_TTL_SECONDS: '86400', COMPLETION_SWEEP_SECONDS: '3600' }, clock: t.clock });
  });
  afterAll(() => unswept.close());
  const unsweptStudent = async () => {
    const student = await signUpStudent(unswept.client());
    return { student, subjectId: await createSubject(student) };
  };
  const unsweptRuns = async (sessionId: string) =>
    (await unswept.db.handle.db.selectFrom('study_session_runs').select(['started_at', 'ended_at']).where('session_id', '=', sessionId).orderBy('id').execute())
      .map((r) => [r.started_at.toISOString(), r.ended_at?.toISOString() ?? null]);

  it('ends its stretch at the completion instant when a refused pause finds it expired', async () => {
    const { student, subjectId } = await unsweptStudent();
    const startedAt = now();
    const id = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(20);
    await student.client.ok(PAUSE_SESSION, { id });
    t.clock.advanceSeconds(30);
    const resumedAt = now();
    await student.client.ok(RESUME_SESSION, { id });
    t.clock.advanceSeconds(3000);

    const refused = await student.client.fail(PAUSE_SESSION, { id });
    expect(refused.extensions).toEqual({ code: 'INVALID_SESSION_STATE', status: 'COMPLETED' });
    expect(await unsweptRuns(id)).toEqual([
      [startedAt, plus(startedAt, 20_000)],
      [resumedAt, plus(resumedAt, 40_000)],
    ]);
  });

  it('ends its stretch at the completion instant when the next start finds it expired', async () => {
    const { student, subjectId } = await unsweptStudent();
    const startedAt = now();
    const first = await start(student, { subjectId, type: 'POMODORO', focusMinutes: 1 });
    t.clock.advanceSeconds(3000);
    const second = await start(student, { subjectId, type: 'FREE' });
    expect(await unsweptRuns(first)).toEqual([[startedAt, plus(startedAt, 60_000)]]);
    expect(await unsweptRuns(second)).toEqual([[now(), null]]);
  });
});

describe('the pause after the last socket goes', () => {
  it('ends the stretch at the instant the connection was lost', async () => {
    const { student, subjectId } = await studentWithSubject();
    const startedAt = now();
    const id = await start(student, { subjectId, type: 'FREE' });
    t.clock.advance(30_500);
    const ws = connectWs(wsUrl(t.origin), { connectionParams: { token: student.accessToken } });
    await ws.connected;
    await ws.dispose();
    await eventually(() => t.server.stats().openSockets === 0, 5_000, 'the socket to close');
    t.clock.advanceSeconds(100); // not counted: the student was gone

    await eventually(async () => (await runs(id))[0]?.[1] !== null, 5_000, 'the disconnect pause');
    expect(await runs(id)).toEqual([[startedAt, plus(startedAt, 30_500)]]);
    const { session } = await student.client.ok(SESSION, { id });
    expect(session).toMatchObject({ status: 'PAUSED', pausedReason: 'DISCONNECT', elapsedSeconds: 30 });
  });
});
