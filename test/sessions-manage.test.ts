import { randomUUID } from 'node:crypto';
import type { ManageSessionsInRangeQueryVariables } from './__generated__/graphql.js';
import { graphql } from './__generated__/index.js';
import { snapshotDatabase } from './support/database.js';
import {
  createSubject,
  PAUSE_SESSION,
  SESSION,
  SESSIONS,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
} from './support/fixtures.js';
import type { GraphQLResponse } from './support/graphql-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { collect, connectStudent, disposeSockets } from './support/ws-client.js';

// Managing sessions over HTTP: `sessions(from, to)`, notes (at stop and with updateSessionNote)
// and deleteSession. Every refusal is checked for its code and for an unchanged database; a
// foreign id and a missing id must get the same answer.

// Written out rather than imported from src/errors.ts: these strings are the public contract.
const SESSION_NOT_FOUND = 'Session not found or you do not have permission';

const IN_RANGE = graphql(`
  query ManageSessionsInRange($from: DateTime, $to: DateTime, $first: Int, $after: String, $subjectId: ID) {
    sessions(from: $from, to: $to, first: $first, after: $after, subjectId: $subjectId) {
      edges { cursor node { id startedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const STOP_WITH_NOTE = graphql(`
  mutation ManageStopWithNote($id: ID!, $note: String) { stopSession(sessionId: $id, note: $note) { id status note endedAt } }
`);
const UPDATE_NOTE = graphql(`
  mutation ManageUpdateSessionNote($id: ID!, $note: String) { updateSessionNote(id: $id, note: $note) { id status note elapsedSeconds } }
`);
const NOTE = graphql(`query ManageSessionNote($id: ID!) { session(id: $id) { id note } }`);
const DELETE = graphql(`mutation ManageDeleteSession($id: ID!) { deleteSession(id: $id) }`);
const ACTIVE_NOTE = graphql(`
  subscription ManageActiveSessionNote { activeSessionUpdated { session { id status note } } }
`);
const STATS = graphql(`
  query ManageSessionStats($day: Date!) { studyStats(from: $day, to: $day, timeZone: "UTC") { totalSeconds completedPomodoros } }
`);

let t: TestServer;
beforeAll(async () => {
  // The clock stands still unless a test moves it; a day-long token outlives every move. The
  // completion sweep is kept out of the way, so that a POMODORO whose time ran out stays stored
  // RUNNING until a request reads it.
  t = await startTestServer({ env: { ACCESS_TOKEN_TTL_SECONDS: '86400', COMPLETION_SWEEP_SECONDS: '3600', DISCONNECT_GRACE_SECONDS: '0' } });
});
afterAll(async () => {
  await disposeSockets();
  await t.close();
});

const snapshot = () => snapshotDatabase(t.db.handle.db);

/** The parts of a response a client can tell apart. */
function answer(res: GraphQLResponse<unknown>) {
  return { status: res.status, data: res.data, errors: res.errors };
}

/** A new student with one subject. */
async function student(): Promise<{ s: Student; subjectId: string }> {
  const s = await signUpStudent(t.client());
  return { s, subjectId: await createSubject(s) };
}

/** Starts a FREE session now; returns its id. */
async function start(s: Student, subjectId: string, type: 'FREE' | 'POMODORO' = 'FREE'): Promise<string> {
  const input = { subjectId, type, ...(type === 'POMODORO' && { focusMinutes: 25 }) };
  return (await s.client.ok(START_SESSION, { input })).startSession.id;
}

/** A FREE session started now, run for `seconds`, stopped; returns its id and start instant. */
async function studied(s: Student, subjectId: string, seconds = 60): Promise<{ id: string; startedAt: string }> {
  const startedAt = t.clock.now().toISOString();
  const id = await start(s, subjectId);
  t.clock.advanceSeconds(seconds);
  await s.client.ok(STOP_SESSION, { id });
  return { id, startedAt };
}

/** The stored row of a session. */
function row(id: string) {
  return t.db.handle.db.selectFrom('study_sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

const ids = (page: { edges: { node: { id: string } }[] }) => page.edges.map((e) => e.node.id);

describe('sessions(from, to)', () => {
  let s: Student;
  let subjectId: string;
  /** Four sessions started 10 minutes apart, oldest first. */
  let sessions: { id: string; startedAt: string }[];
  beforeAll(async () => {
    ({ s, subjectId } = await student());
    sessions = [];
    for (let i = 0; i < 4; i++) {
      sessions.push(await studied(s, subjectId, 60));
      t.clock.advanceSeconds(540);
    }
  });
  const at = (i: number) => sessions[i]!.startedAt;
  const id = (i: number) => sessions[i]!.id;
  const list = async (variables: ManageSessionsInRangeQueryVariables) => (await s.client.ok(IN_RANGE, variables)).sessions;

  it('keeps sessions started at or after `from` and before `to`, newest first', async () => {
    expect(ids(await list({ from: at(1), to: at(3) }))).toEqual([id(2), id(1)]);
  });

  it('takes either bound alone', async () => {
    expect(ids(await list({ from: at(2) }))).toEqual([id(3), id(2)]);
    expect(ids(await list({ to: at(2) }))).toEqual([id(1), id(0)]);
  });

  it('answers an empty page when `from` equals `to`', async () => {
    expect(await list({ from: at(1), to: at(1) })).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('pages through the range with first and after', async () => {
    const first = await list({ from: at(0), to: at(3), first: 2 });
    expect(ids(first)).toEqual([id(2), id(1)]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await list({ from: at(0), to: at(3), first: 2, after: first.pageInfo.endCursor });
    expect(ids(second)).toEqual([id(0)]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('combines with subjectId', async () => {
    expect(ids(await list({ from: at(0), subjectId }))).toEqual([id(3), id(2), id(1), id(0)]);
    expect(ids(await list({ from: at(0), subjectId: randomUUID() }))).toEqual([]);
  });

  it('refuses `from` after `to` with BAD_USER_INPUT (field to)', async () => {
    const error = await s.client.fail(IN_RANGE, { from: at(2), to: at(1) });
    expect(error).toMatchObject({ message: 'to must not be before from', extensions: { code: 'BAD_USER_INPUT', field: 'to' } });
  });

  it('refuses an instant that is not a DateTime', async () => {
    const res = await s.client.request(IN_RANGE, { from: 'yesterday' });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('notes', () => {
  it('stopSession writes the note with the stop', async () => {
    const { s, subjectId } = await student();
    const sessionId = await start(s, subjectId);
    t.clock.advanceSeconds(90);

    const { stopSession } = await s.client.ok(STOP_WITH_NOTE, { id: sessionId, note: 'Chapter 3, exercises 1–12' });
    expect(stopSession).toEqual({ id: sessionId, status: 'STOPPED', note: 'Chapter 3, exercises 1–12', endedAt: t.clock.now().toISOString() });
    expect(await row(sessionId)).toMatchObject({ status: 'STOPPED', note: 'Chapter 3, exercises 1–12' });
    expect((await s.client.ok(NOTE, { id: sessionId })).session).toEqual({ id: sessionId, note: 'Chapter 3, exercises 1–12' });
  });

  it('stopSession without a note (the old shape) keeps the note set while it ran; with null it clears it', async () => {
    const { s, subjectId } = await student();
    const kept = await start(s, subjectId);
    await s.client.ok(UPDATE_NOTE, { id: kept, note: 'halfway' });
    expect((await s.client.ok(STOP_SESSION, { id: kept })).stopSession.status).toBe('STOPPED');
    expect((await row(kept))?.note).toBe('halfway');

    const cleared = await start(s, subjectId);
    await s.client.ok(UPDATE_NOTE, { id: cleared, note: 'halfway' });
    expect((await s.client.ok(STOP_WITH_NOTE, { id: cleared, note: null })).stopSession.note).toBeNull();
    expect((await row(cleared))?.note).toBeNull();
  });

  it('updateSessionNote sets, replaces and clears the note of a running or finished session', async () => {
    const { s, subjectId } = await student();
    const sessionId = await start(s, subjectId);
    t.clock.advanceSeconds(30);

    expect((await s.client.ok(UPDATE_NOTE, { id: sessionId, note: 'line one\nline two\tend' })).updateSessionNote).toEqual({
      id: sessionId,
      status: 'RUNNING',
      note: 'line one\nline two\tend',
      elapsedSeconds: 30,
    });
    await s.client.ok(STOP_SESSION, { id: sessionId });
    expect((await s.client.ok(UPDATE_NOTE, { id: sessionId, note: 'afterwards' })).updateSessionNote.note).toBe('afterwards');
    expect((await row(sessionId))?.note).toBe('afterwards');
    expect((await s.client.ok(UPDATE_NOTE, { id: sessionId, note: '  \n ' })).updateSessionNote.note).toBeNull();
    await s.client.ok(UPDATE_NOTE, { id: sessionId, note: 'again' });
    expect((await s.client.ok(UPDATE_NOTE, { id: sessionId, note: null })).updateSessionNote.note).toBeNull();
    expect((await s.client.ok(UPDATE_NOTE, { id: sessionId })).updateSessionNote.note).toBeNull();
    expect((await row(sessionId))?.note).toBeNull();
  });

  it("reaches activeSessionUpdated subscribers while the session is unfinished", async () => {
    const { s, subjectId } = await student();
    const sessionId = await start(s, subjectId);
    // Paused: the frozen clock would not tick a running one either, but a paused one has no ticks at all.
    await s.client.ok(PAUSE_SESSION, { id: sessionId });
    const ws = await connectStudent(t.origin, s);
    const live = collect(ws.client, ACTIVE_NOTE);
    await live.waitFor(1);

    await s.client.ok(UPDATE_NOTE, { id: sessionId, note: 'live' });
    const results = await live.waitFor(2);
    expect(results.map((r) => r.data?.activeSessionUpdated.session)).toEqual([
      { id: sessionId, status: 'PAUSED', note: null },
      { id: sessionId, status: 'PAUSED', note: 'live' },
    ]);
    live.unsubscribe();
    await ws.dispose();
  });

  it('takes 2,000 characters, counted as code points (so 2,000 emoji fit)', async () => {
    const { s, subjectId } = await student();
    const sessionId = await start(s, subjectId);
    const emoji = '📚'.repeat(2000);

    expect((await s.client.ok(UPDATE_NOTE, { id: sessionId, note: emoji })).updateSessionNote.note).toBe(emoji);
    expect((await s.client.ok(STOP_WITH_NOTE, { id: sessionId, note: 'x'.repeat(2000) })).stopSession.note).toHaveLength(2000);
  });

  it.each([
    ['2,001 characters', 'x'.repeat(2001)],
    ['2,001 emoji', '📚'.repeat(2001)],
    ['a NUL character', 'before\u0000after'],
    ['a bell character', 'ding\u0007'],
  ])('refuses %s with BAD_USER_INPUT (field note) at updateSessionNote and at stopSession, changing nothing', async (_label, note) => {
    const { s, subjectId } = await student();
    const sessionId = await start(s, subjectId);
    await s.client.ok(UPDATE_NOTE, { id: sessionId, note: 'the old note' });
    t.clock.advanceSeconds(10);
    const before = await snapshot();

    expect((await s.client.fail(UPDATE_NOTE, { id: sessionId, note })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'note' });
    expect((await s.client.fail(STOP_WITH_NOTE, { id: sessionId, note })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'note' });
    // The stop was refused with its note: the session still runs.
    expect(await snapshot()).toEqual(before);
    expect(await row(sessionId)).toMatchObject({ status: 'RUNNING', note: 'the old note' });
  });

  it('writes no note when the stop itself is refused (INVALID_SESSION_STATE)', async () => {
    const { s, subjectId } = await student();
    const { id } = await studied(s, subjectId);
    await s.client.ok(UPDATE_NOTE, { id, note: 'kept' });
    const before = await snapshot();

    const error = await s.client.fail(STOP_WITH_NOTE, { id, note: 'lost' });
    expect(error.extensions).toEqual({ code: 'INVALID_SESSION_STATE', status: 'STOPPED' });
    expect(await snapshot()).toEqual(before);
  });
});

describe('deleteSession', () => {
  it('deletes a STOPPED session and its runs, and it leaves session, sessions and studyStats', async () => {
    const { s, subjectId } = await student();
    const day = t.clock.now().toISOString().slice(0, 10);
    const kept = await studied(s, subjectId, 120);
    const sessionId = await start(s, subjectId);
    t.clock.advanceSeconds(100);
    await s.client.ok(PAUSE_SESSION, { id: sessionId });
    await s.client.ok(STOP_SESSION, { id: sessionId });
    expect((await s.client.ok(STATS, { day })).studyStats.totalSeconds).toBe(220);
    const before = await snapshot();

    expect((await s.client.ok(DELETE, { id: sessionId })).deleteSession).toBe(sessionId);

    const after = await snapshot();
    expect(after.studySessions).toEqual(before.studySessions.filter((r) => r.id !== sessionId));
    expect(after.studySessionRuns).toEqual(before.studySessionRuns.filter((r) => r.session_id !== sessionId));
    expect(after.subjects).toEqual(before.subjects);
    expect((await s.client.fail(SESSION, { id: sessionId })).extensions).toEqual({ code: 'NOT_FOUND' });
    expect(ids((await s.client.ok(SESSIONS, {})).sessions)).toEqual([kept.id]);
    expect((await s.client.ok(STATS, { day })).studyStats.totalSeconds).toBe(120);
  });

  it('deletes a COMPLETED POMODORO, which leaves completedPomodoros', async () => {
    const { s, subjectId } = await student();
    const day = t.clock.now().toISOString().slice(0, 10);
    const sessionId = await start(s, subjectId, 'POMODORO');
    t.clock.advanceSeconds(25 * 60);
    expect((await s.client.ok(SESSION, { id: sessionId })).session?.status).toBe('COMPLETED');
    expect((await s.client.ok(STATS, { day })).studyStats).toEqual({ totalSeconds: 1500, completedPomodoros: 1 });

    expect((await s.client.ok(DELETE, { id: sessionId })).deleteSession).toBe(sessionId);
    expect(await row(sessionId)).toBeUndefined();
    expect((await s.client.ok(STATS, { day })).studyStats).toEqual({ totalSeconds: 0, completedPomodoros: 0 });
  });

  it('deletes a POMODORO whose time ran out while it is still stored RUNNING', async () => {
    const { s, subjectId } = await student();
    const sessionId = await start(s, subjectId, 'POMODORO');
    t.clock.advanceSeconds(25 * 60 + 1);
    expect((await row(sessionId))?.status).toBe('RUNNING');

    expect((await s.client.ok(DELETE, { id: sessionId })).deleteSession).toBe(sessionId);
    expect(await row(sessionId)).toBeUndefined();
    expect(await t.db.handle.db.selectFrom('study_session_runs').select('id').where('session_id', '=', sessionId).execute()).toEqual([]);
  });

  it.each(['RUNNING', 'PAUSED'] as const)('refuses a %s session with SESSION_ACTIVE and deletes nothing', async (status) => {
    const { s, subjectId } = await student();
    const sessionId = await start(s, subjectId);
    t.clock.advanceSeconds(45);
    if (status === 'PAUSED') await s.client.ok(PAUSE_SESSION, { id: sessionId });
    const before = await snapshot();

    const error = await s.client.fail(DELETE, { id: sessionId });
    expect(error).toMatchObject({
      message: 'The session is running or paused; stop it first',
      extensions: { code: 'SESSION_ACTIVE', sessionId },
    });
    expect(await snapshot()).toEqual(before);
    expect((await row(sessionId))?.status).toBe(status);
  });

  it('refuses a malformed id with BAD_USER_INPUT (field id)', async () => {
    const { s } = await student();
    expect((await s.client.fail(DELETE, { id: 'not-an-id' })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe("another student's session", () => {
  let owner: Student;
  let intruder: Student;
  /** The owner's finished session, with a note: deletable and note-able, but only by them. */
  let finished: string;
  /** The owner's running session. */
  let running: string;
  beforeAll(async () => {
    const o = await student();
    owner = o.s;
    intruder = (await student()).s;
    finished = (await studied(owner, o.subjectId)).id;
    await owner.client.ok(UPDATE_NOTE, { id: finished, note: "the owner's" });
    running = await start(owner, o.subjectId);
  });

  it.each([
    { field: 'updateSessionNote', target: () => finished, run: (c: Student['client'], id: string) => c.request(UPDATE_NOTE, { id, note: 'mine' }) },
    { field: 'updateSessionNote', target: () => running, run: (c: Student['client'], id: string) => c.request(UPDATE_NOTE, { id, note: null }) },
    { field: 'stopSession', target: () => running, run: (c: Student['client'], id: string) => c.request(STOP_WITH_NOTE, { id, note: 'mine' }) },
    { field: 'deleteSession', target: () => finished, run: (c: Student['client'], id: string) => c.request(DELETE, { id }) },
    { field: 'deleteSession', target: () => running, run: (c: Student['client'], id: string) => c.request(DELETE, { id }) },
  ])('$field answers NOT_FOUND exactly as for a missing id, and changes nothing', async ({ field, target, run }) => {
    const before = await snapshot();

    const foreign = answer(await run(intruder.client, target()));
    expect(foreign).toEqual({
      status: 200,
      data: null,
      errors: [{ message: SESSION_NOT_FOUND, path: [field], locations: expect.any(Array), extensions: { code: 'NOT_FOUND' } }],
    });
    expect(answer(await run(intruder.client, randomUUID()))).toEqual(foreign);
    expect(await snapshot()).toEqual(before);
  });

  it('is never in the intruder\'s sessions(from, to)', async () => {
    const page = await intruder.client.ok(IN_RANGE, { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' });
    expect(page.sessions.edges).toEqual([]);
  });
});
