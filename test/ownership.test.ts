import { randomUUID } from 'node:crypto';
import {
  ACTIVE_SESSION,
  createSubject,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  SESSIONS,
  START_SESSION,
  STOP_SESSION,
  type SessionIdDocument,
  signUpStudent,
  type Student,
  SUBJECTS,
} from './support/fixtures.js';
import type { GraphQLResponse } from './support/graphql-client.js';
import type { SessionsQuery, StartSessionInput } from './__generated__/graphql.js';
import { snapshotDatabase } from './support/database.js';
import { startTestServer, type TestServer } from './support/server.js';

// Written out rather than imported from src/errors.ts: these strings are the public contract.
const SESSION_NOT_FOUND = 'Session not found or you do not have permission';
const SUBJECT_NOT_FOUND = 'Subject not found or you do not have permission';

/** The states B's session is put in before A tries something on it. */
type OwnerStatus = 'RUNNING' | 'PAUSED' | 'STOPPED';

const EMPTY_PAGE: SessionsQuery['sessions'] = { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };

let t: TestServer;
/** The student who tries to reach someone else's data. */
let a: Student;
let aSubjectId: string;
/** A's one session, stopped, so that A has data of its own that every list must show. */
let aSessionId: string;
/** The owner. */
let b: Student;
let bSubjectId: string;

beforeAll(async () => {
  // Every case moves the manual clock by a minute or so; a day-long access token outlives them all.
  t = await startTestServer({ env: { ACCESS_TOKEN_TTL_SECONDS: '86400' } });
  a = await signUpStudent(t.client());
  b = await signUpStudent(t.client());
  aSubjectId = await createSubject(a, 'Algebra');
  bSubjectId = await createSubject(b, 'Biology');
  aSessionId = (await a.client.ok(START_SESSION, { input: { subjectId: aSubjectId, type: 'FREE' } })).startSession.id;
  t.clock.advanceSeconds(30);
  await a.client.ok(STOP_SESSION, { id: aSessionId });
});
afterAll(() => t.close());

const snapshot = () => snapshotDatabase(t.db.handle.db);

/** The parts of a response a client can tell apart (headers carry only a date and a length). */
function answer(res: GraphQLResponse<unknown>) {
  return { status: res.status, data: res.data, errors: res.errors };
}

/**
 * Gives B a fresh POMODORO session (25 min) in `status`, with a minute already studied so that
 * its stored `accumulated_ms` is not zero; stops B's previous unfinished one first.
 */
async function giveBSession(status: OwnerStatus): Promise<string> {
  const { activeSession } = await b.client.ok(ACTIVE_SESSION);
  if (activeSession) await b.client.ok(STOP_SESSION, { id: activeSession.id });
  const { startSession } = await b.client.ok(START_SESSION, {
    input: { subjectId: bSubjectId, type: 'POMODORO', focusMinutes: 25 },
  });
  t.clock.advanceSeconds(60);
  if (status === 'PAUSED') await b.client.ok(PAUSE_SESSION, { id: startSession.id });
  if (status === 'STOPPED') await b.client.ok(STOP_SESSION, { id: startSession.id });
  return startSession.id;
}

/** B's session as B sees it. */
async function asB(id: string) {
  return (await b.client.ok(SESSION, { id })).session!;
}

/** The GraphQL answer to a refused operation on a missing or foreign id. */
function notFound(field: string, message: string, data: unknown) {
  return {
    status: 200,
    data,
    errors: [{ message, path: [field], locations: expect.any(Array), extensions: { code: 'NOT_FOUND' } }],
  };
}

interface SessionCase {
  operation: 'session' | 'pauseSession' | 'resumeSession' | 'stopSession';
  /** Takes the session's id as `$id`. */
  document: SessionIdDocument;
  status: OwnerStatus;
}

describe("A's operations on B's session", () => {
  // Each transition is tried from the state in which B could make it (so only ownership can
  // refuse it), and from one in which B could not (so the answer must not reveal the state).
  it.each<SessionCase>([
    { operation: 'session', document: SESSION, status: 'RUNNING' },
    { operation: 'session', document: SESSION, status: 'PAUSED' },
    { operation: 'session', document: SESSION, status: 'STOPPED' },
    { operation: 'pauseSession', document: PAUSE_SESSION, status: 'RUNNING' },
    { operation: 'pauseSession', document: PAUSE_SESSION, status: 'PAUSED' },
    { operation: 'resumeSession', document: RESUME_SESSION, status: 'PAUSED' },
    { operation: 'resumeSession', document: RESUME_SESSION, status: 'RUNNING' },
    { operation: 'stopSession', document: STOP_SESSION, status: 'RUNNING' },
    { operation: 'stopSession', document: STOP_SESSION, status: 'PAUSED' },
    { operation: 'stopSession', document: STOP_SESSION, status: 'STOPPED' },
  ])("$operation on B's $status session answers NOT_FOUND and changes nothing", async ({ operation, document, status }) => {
    const id = await giveBSession(status);
    const before = await snapshot();

    const foreign = answer(await a.client.request(document, { id }));
    // `session` is nullable, so its error leaves `data.session` null; mutations null all of `data`.
    expect(foreign).toEqual(notFound(operation, SESSION_NOT_FOUND, operation === 'session' ? { session: null } : null));
    expect(await snapshot()).toEqual(before);
  });

  it.each<SessionCase>([
    { operation: 'session', document: SESSION, status: 'RUNNING' },
    { operation: 'pauseSession', document: PAUSE_SESSION, status: 'RUNNING' },
    { operation: 'resumeSession', document: RESUME_SESSION, status: 'PAUSED' },
    { operation: 'stopSession', document: STOP_SESSION, status: 'PAUSED' },
  ])('$operation answers a foreign id exactly as a missing one', async ({ document, status }) => {
    const id = await giveBSession(status);
    const before = await snapshot();

    const foreign = answer(await a.client.request(document, { id }));
    const missing = answer(await a.client.request(document, { id: randomUUID() }));
    expect(missing).toEqual(foreign);
    expect(Object.keys(missing.errors?.[0]?.extensions ?? {})).toEqual(['code']);
    expect(await snapshot()).toEqual(before);
  });

  it.each<SessionCase>([
    { operation: 'pauseSession', document: PAUSE_SESSION, status: 'RUNNING' },
    { operation: 'stopSession', document: STOP_SESSION, status: 'RUNNING' },
    { operation: 'resumeSession', document: RESUME_SESSION, status: 'PAUSED' },
    { operation: 'stopSession', document: STOP_SESSION, status: 'PAUSED' },
  ])("leaves B's $status session as it was after A's $operation", async ({ document, status }) => {
    const id = await giveBSession(status);
    const seen = await asB(id);

    expect((await a.client.request(document, { id })).errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    t.clock.advanceSeconds(7);

    // A RUNNING one keeps counting (7 s more studied, 7 s less to go); a PAUSED one stands still.
    const ticked = status === 'RUNNING' ? 7 : 0;
    expect(await asB(id)).toEqual({
      ...seen,
      status,
      elapsedSeconds: seen.elapsedSeconds + ticked,
      remainingSeconds: seen.remainingSeconds! - ticked,
    });
    expect(seen.elapsedSeconds).toBe(60);
  });
});

interface SubjectCase {
  label: string;
  input: Omit<StartSessionInput, 'subjectId'>;
}

describe("A's operations on B's subject", () => {
  it.each<SubjectCase>([
    { label: 'a FREE session', input: { type: 'FREE' } },
    { label: 'a POMODORO session', input: { type: 'POMODORO', focusMinutes: 25 } },
  ])('startSession of $label answers NOT_FOUND and starts nothing', async ({ input }) => {
    // B is studying that subject right now; A has no unfinished session, so nothing but
    // ownership stands in the way.
    await giveBSession('RUNNING');
    const before = await snapshot();

    const foreign = answer(await a.client.request(START_SESSION, { input: { ...input, subjectId: bSubjectId } }));
    expect(foreign).toEqual(notFound('startSession', SUBJECT_NOT_FOUND, null));
    expect(await snapshot()).toEqual(before);

    const missing = answer(await a.client.request(START_SESSION, { input: { ...input, subjectId: randomUUID() } }));
    expect(missing).toEqual(foreign);
    expect(await snapshot()).toEqual(before);
  });

  it("sessions(subjectId) answers an empty page, the same as for a missing subject", async () => {
    await giveBSession('STOPPED');
    await giveBSession('RUNNING');
    const before = await snapshot();

    const foreign = answer(await a.client.request(SESSIONS, { subjectId: bSubjectId }));
    expect(foreign).toEqual({ status: 200, data: { sessions: EMPTY_PAGE }, errors: undefined });
    const missing = answer(await a.client.request(SESSIONS, { subjectId: randomUUID() }));
    expect(missing).toEqual(foreign);
    expect(await snapshot()).toEqual(before);

    // The same query by B does find them: the page above is empty because of the owner filter.
    const own = await b.client.ok(SESSIONS, { subjectId: bSubjectId });
    expect(own.sessions.edges.length).toBeGreaterThanOrEqual(2);
  });
});

describe("A's lists", () => {
  it("never include B's subjects or sessions", async () => {
    await giveBSession('STOPPED');
    await giveBSession('PAUSED');
    await giveBSession('RUNNING');
    const db = t.db.handle.db;
    const bIds = [
      ...(await db.selectFrom('subjects').select('id').where('user_id', '=', b.userId).execute()),
      ...(await db.selectFrom('study_sessions').select('id').where('user_id', '=', b.userId).execute()),
    ].map((r) => r.id);
    expect(bIds.length).toBeGreaterThanOrEqual(4);

    const sessions = await a.client.ok(SESSIONS, { first: 100 });
    const running = await a.client.ok(SESSIONS, { status: 'RUNNING' });
    const paused = await a.client.ok(SESSIONS, { status: 'PAUSED' });
    const stopped = await a.client.ok(SESSIONS, { status: 'STOPPED' });
    const active = await a.client.ok(ACTIVE_SESSION);
    const subjects = await a.client.ok(SUBJECTS);

    expect(sessions.sessions.edges.map((e) => e.node.id)).toEqual([aSessionId]);
    expect(sessions.sessions.pageInfo.hasNextPage).toBe(false);
    expect(running.sessions).toEqual(EMPTY_PAGE);
    expect(paused.sessions).toEqual(EMPTY_PAGE);
    expect(stopped.sessions.edges.map((e) => e.node.id)).toEqual([aSessionId]);
    expect(active.activeSession).toBeNull();
    expect(subjects.subjects).toEqual([{ id: aSubjectId, name: 'Algebra' }]);

    const everything = JSON.stringify([sessions, running, paused, stopped, active, subjects]);
    for (const id of bIds) expect(everything).not.toContain(id);
    expect(everything).not.toContain('Biology');
  });
});
