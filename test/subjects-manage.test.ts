import { randomUUID } from 'node:crypto';
import { graphql } from './__generated__/index.js';
import { snapshotDatabase } from './support/database.js';
import { createSubject, PAUSE_SESSION, RESUME_SESSION, START_SESSION, STOP_SESSION, signUpStudent, type Student } from './support/fixtures.js';
import type { GraphQLResponse } from './support/graphql-client.js';
import { startTestServer, type TestServer } from './support/server.js';

// Managing subjects over HTTP: colour, rename/update, archive/unarchive, delete (with or without
// their sessions), `subjects(includeArchived)`. Every refusal is checked for its code and for an
// unchanged database; a foreign id and a missing id must get the same answer.

// Written out rather than imported from src/errors.ts: these strings are the public contract.
const SUBJECT_NOT_FOUND = 'Subject not found or you do not have permission';

const SUBJECT_FIELDS = graphql(`
  fragment ManagedSubjectFields on Subject { id name color archivedAt createdAt }
`);
const CREATE = graphql(`
  mutation ManageCreateSubject($input: CreateSubjectInput!) { createSubject(input: $input) { ...ManagedSubjectFields } }
`);
const RENAME = graphql(`
  mutation ManageRenameSubject($id: ID!, $name: String!) { renameSubject(id: $id, name: $name) { ...ManagedSubjectFields } }
`);
const UPDATE = graphql(`
  mutation ManageUpdateSubject($id: ID!, $input: UpdateSubjectInput!) { updateSubject(id: $id, input: $input) { ...ManagedSubjectFields } }
`);
const ARCHIVE = graphql(`mutation ManageArchiveSubject($id: ID!) { archiveSubject(id: $id) { ...ManagedSubjectFields } }`);
const UNARCHIVE = graphql(`mutation ManageUnarchiveSubject($id: ID!) { unarchiveSubject(id: $id) { ...ManagedSubjectFields } }`);
const DELETE = graphql(`
  mutation ManageDeleteSubject($id: ID!, $deleteSessions: Boolean) { deleteSubject(id: $id, deleteSessions: $deleteSessions) }
`);
const LIST = graphql(`
  query ManageSubjects($includeArchived: Boolean) { subjects(includeArchived: $includeArchived) { ...ManagedSubjectFields } }
`);
const LIST_DEFAULT = graphql(`query ManageSubjectsDefault { subjects { id } }`);
const HISTORY = graphql(`
  query ManageSubjectHistory($subjectId: ID) {
    sessions(subjectId: $subjectId, first: 100) { edges { node { id status elapsedSeconds subject { id name archivedAt color } } } }
  }
`);
const STATS = graphql(`
  query ManageSubjectStats($from: Date!, $to: Date!, $subjectId: ID) {
    studyStats(from: $from, to: $to, timeZone: "UTC", subjectId: $subjectId) {
      totalSeconds
      completedPomodoros
      bySubject { subject { id name archivedAt color } seconds sessions }
    }
  }
`);
// Only spread by the documents above (the preset appends it to each); never sent on its own.
void SUBJECT_FIELDS;

let t: TestServer;
beforeAll(async () => {
  // The clock stands still unless a test moves it; a day-long token outlives every move. The
  // completion sweep is kept out of the way, so that a POMODORO whose time ran out stays stored
  // RUNNING until a request reads it.
  t = await startTestServer({ env: { ACCESS_TOKEN_TTL_SECONDS: '86400', COMPLETION_SWEEP_SECONDS: '3600' } });
});
afterAll(() => t.close());

const snapshot = () => snapshotDatabase(t.db.handle.db);
const student = () => signUpStudent(t.client());

/** The parts of a response a client can tell apart. */
function answer(res: GraphQLResponse<unknown>) {
  return { status: res.status, data: res.data, errors: res.errors };
}

/** The answer to a mutation refused for a missing or foreign subject. */
function notFound(field: string) {
  return {
    status: 200,
    data: null,
    errors: [{ message: SUBJECT_NOT_FOUND, path: [field], locations: expect.any(Array), extensions: { code: 'NOT_FOUND' } }],
  };
}

/** The stored row of a subject. */
function row(id: string) {
  return t.db.handle.db.selectFrom('subjects').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A stopped FREE session of `seconds` on the subject; returns its id. */
async function studied(s: Student, subjectId: string, seconds: number): Promise<string> {
  const { startSession } = await s.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
  t.clock.advanceSeconds(seconds);
  await s.client.ok(STOP_SESSION, { id: startSession.id });
  return startSession.id;
}

/** Today's date on the test clock (UTC), for a one-day studyStats range. */
const today = () => t.clock.now().toISOString().slice(0, 10);

describe('createSubject with a colour', () => {
  it('stores and answers the colour in lower case, and none when it is omitted', async () => {
    const s = await student();
    const { createSubject: coloured } = await s.client.ok(CREATE, { input: { name: 'Chemistry', color: '#A1b2C3' } });
    const { createSubject: plain } = await s.client.ok(CREATE, { input: { name: 'History' } });

    expect(coloured).toEqual({ id: expect.any(String), name: 'Chemistry', color: '#a1b2c3', archivedAt: null, createdAt: expect.any(String) });
    expect(plain.color).toBeNull();
    expect((await row(coloured.id))?.color).toBe('#a1b2c3');
  });

  it.each(['red', '#fff', '#12345', '#1234567', '#gggggg', ' #123456', '123456', '#12 456', ''])(
    'refuses the colour %j with BAD_USER_INPUT (field color) and creates nothing',
    async (color) => {
      const s = await student();
      const before = await snapshot();

      const error = await s.client.fail(CREATE, { input: { name: 'Physics', color } });
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'color' });
      expect(await snapshot()).toEqual(before);
    },
  );
});

describe('renameSubject', () => {
  it('renames, with the name rules of createSubject (trimmed, inner spaces collapsed)', async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');

    const { renameSubject } = await s.client.ok(RENAME, { id, name: '  Linear   Algebra ' });
    expect(renameSubject).toMatchObject({ id, name: 'Linear Algebra' });
    expect((await row(id))?.name).toBe('Linear Algebra');
  });

  it('accepts the subject\'s own name in another case', async () => {
    const s = await student();
    const id = await createSubject(s, 'algebra');

    expect((await s.client.ok(RENAME, { id, name: 'ALGEBRA' })).renameSubject.name).toBe('ALGEBRA');
  });

  it("answers SUBJECT_NAME_TAKEN for another subject's name, in any case, and changes nothing", async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    await createSubject(s, 'Biology');
    const before = await snapshot();

    const error = await s.client.fail(RENAME, { id, name: 'bIOLOGY' });
    expect(error.extensions).toEqual({ code: 'SUBJECT_NAME_TAKEN' });
    expect(await snapshot()).toEqual(before);
  });

  it("allows another student's subject name", async () => {
    const a = await student();
    const b = await student();
    await createSubject(a, 'Geography');
    const id = await createSubject(b, 'Maps');

    expect((await b.client.ok(RENAME, { id, name: 'Geography' })).renameSubject.name).toBe('Geography');
  });

  it.each([
    ['an empty name', '   '],
    ['an over-long name', 'x'.repeat(81)],
    ['a control character', 'Alge\u0007bra'],
  ])('refuses %s with BAD_USER_INPUT (field name) and changes nothing', async (_label, name) => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    const before = await snapshot();

    expect((await s.client.fail(RENAME, { id, name })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a malformed id with BAD_USER_INPUT (field id)', async () => {
    const s = await student();
    expect((await s.client.fail(RENAME, { id: 'nope', name: 'X' })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe('updateSubject', () => {
  it('changes the name and the colour together', async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');

    const { updateSubject } = await s.client.ok(UPDATE, { id, input: { name: 'Geometry', color: '#00FF7f' } });
    expect(updateSubject).toMatchObject({ id, name: 'Geometry', color: '#00ff7f', archivedAt: null });
    expect(await row(id)).toMatchObject({ name: 'Geometry', color: '#00ff7f' });
  });

  it('leaves an omitted field as it is, and clears the colour with null', async () => {
    const s = await student();
    const { createSubject: created } = await s.client.ok(CREATE, { input: { name: 'Algebra', color: '#123456' } });

    const colourOnly = (await s.client.ok(UPDATE, { id: created.id, input: { color: '#654321' } })).updateSubject;
    expect(colourOnly).toMatchObject({ name: 'Algebra', color: '#654321' });
    const nameOnly = (await s.client.ok(UPDATE, { id: created.id, input: { name: 'Algebra II' } })).updateSubject;
    expect(nameOnly).toMatchObject({ name: 'Algebra II', color: '#654321' });
    const cleared = (await s.client.ok(UPDATE, { id: created.id, input: { color: null } })).updateSubject;
    expect(cleared).toMatchObject({ name: 'Algebra II', color: null });
    const nothing = (await s.client.ok(UPDATE, { id: created.id, input: {} })).updateSubject;
    expect(nothing).toEqual(cleared);
    expect(await row(created.id)).toMatchObject({ name: 'Algebra II', color: null });
  });

  it.each([
    ['a malformed colour, with a valid name', { name: 'Renamed', color: 'blue' }, 'color'],
    ['a null name, with a valid colour', { name: null, color: '#abcdef' }, 'name'],
    ['an empty name, with a valid colour', { name: '', color: '#abcdef' }, 'name'],
  ])('refuses %s with BAD_USER_INPUT and writes neither field', async (_label, input, field) => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    const before = await snapshot();

    expect((await s.client.fail(UPDATE, { id, input })).extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(await snapshot()).toEqual(before);
  });

  it("answers SUBJECT_NAME_TAKEN for another subject's name and writes neither field", async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    await createSubject(s, 'Biology');
    const before = await snapshot();

    const error = await s.client.fail(UPDATE, { id, input: { name: 'biology', color: '#abcdef' } });
    expect(error.extensions).toEqual({ code: 'SUBJECT_NAME_TAKEN' });
    expect(await snapshot()).toEqual(before);
  });
});

describe('archiveSubject and unarchiveSubject', () => {
  it('archive at the clock instant, leave subjects() unless includeArchived, and unarchive brings it back', async () => {
    const s = await student();
    const kept = await createSubject(s, 'Algebra');
    const archived = await createSubject(s, 'Biology');
    const at = t.clock.now().toISOString();

    expect((await s.client.ok(ARCHIVE, { id: archived })).archiveSubject).toMatchObject({ id: archived, archivedAt: at });
    expect((await row(archived))?.archived_at).toEqual(new Date(at));
    expect((await s.client.ok(LIST_DEFAULT)).subjects).toEqual([{ id: kept }]);
    expect((await s.client.ok(LIST, { includeArchived: false })).subjects.map((x) => x.id)).toEqual([kept]);
    expect((await s.client.ok(LIST, { includeArchived: true })).subjects.map((x) => [x.id, x.archivedAt])).toEqual([
      [kept, null],
      [archived, at],
    ]);

    expect((await s.client.ok(UNARCHIVE, { id: archived })).unarchiveSubject.archivedAt).toBeNull();
    expect((await row(archived))?.archived_at).toBeNull();
    expect((await s.client.ok(LIST_DEFAULT)).subjects).toEqual([{ id: kept }, { id: archived }]);
  });

  it('keeps the first archive instant when archived again, and unarchiving a subject in use changes nothing', async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    const before = await snapshot();
    expect((await s.client.ok(UNARCHIVE, { id })).unarchiveSubject.archivedAt).toBeNull();
    expect(await snapshot()).toEqual(before);

    const first = (await s.client.ok(ARCHIVE, { id })).archiveSubject.archivedAt;
    t.clock.advanceSeconds(60);
    expect((await s.client.ok(ARCHIVE, { id })).archiveSubject.archivedAt).toBe(first);
    expect((await row(id))?.archived_at).toEqual(new Date(first!));
  });

  it('refuses startSession on an archived subject with SUBJECT_ARCHIVED and starts nothing', async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    await s.client.ok(ARCHIVE, { id });
    const before = await snapshot();

    for (const input of [{ type: 'FREE' as const }, { type: 'POMODORO' as const, focusMinutes: 25 }]) {
      const error = await s.client.fail(START_SESSION, { input: { subjectId: id, ...input } });
      expect(error).toMatchObject({ message: 'The subject is archived; unarchive it to start a session on it', extensions: { code: 'SUBJECT_ARCHIVED' } });
    }
    expect(await snapshot()).toEqual(before);

    await s.client.ok(UNARCHIVE, { id });
    expect((await s.client.ok(START_SESSION, { input: { subjectId: id, type: 'FREE' } })).startSession.status).toBe('RUNNING');
  });

  it('lets a session already running on the subject pause, resume and stop', async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    const { startSession } = await s.client.ok(START_SESSION, { input: { subjectId: id, type: 'FREE' } });
    await s.client.ok(ARCHIVE, { id });

    await s.client.ok(PAUSE_SESSION, { id: startSession.id });
    await s.client.ok(RESUME_SESSION, { id: startSession.id });
    expect((await s.client.ok(STOP_SESSION, { id: startSession.id })).stopSession.status).toBe('STOPPED');
  });

  it("keeps the subject's history in sessions and studyStats", async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    const sessionId = await studied(s, id, 600);
    const { archiveSubject } = await s.client.ok(ARCHIVE, { id });

    const history = (await s.client.ok(HISTORY, { subjectId: id })).sessions.edges.map((e) => e.node);
    expect(history).toEqual([
      { id: sessionId, status: 'STOPPED', elapsedSeconds: 600, subject: { id, name: 'Algebra', archivedAt: archiveSubject.archivedAt, color: null } },
    ]);
    const range = { from: today(), to: today() };
    const all = (await s.client.ok(STATS, range)).studyStats;
    expect(all).toEqual({
      totalSeconds: 600,
      completedPomodoros: 0,
      bySubject: [{ subject: { id, name: 'Algebra', archivedAt: archiveSubject.archivedAt, color: null }, seconds: 600, sessions: 1 }],
    });
    expect((await s.client.ok(STATS, { ...range, subjectId: id })).studyStats.totalSeconds).toBe(600);
  });
});

describe('deleteSubject', () => {
  it('deletes a subject without sessions and answers its id; its name is free again', async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    const archived = await createSubject(s, 'Biology');
    await s.client.ok(ARCHIVE, { id: archived });

    expect((await s.client.ok(DELETE, { id })).deleteSubject).toBe(id);
    expect((await s.client.ok(DELETE, { id: archived })).deleteSubject).toBe(archived);
    expect(await row(id)).toBeUndefined();
    expect(await row(archived)).toBeUndefined();
    expect((await s.client.ok(LIST, { includeArchived: true })).subjects).toEqual([]);
    expect((await s.client.ok(CREATE, { input: { name: 'algebra' } })).createSubject.name).toBe('algebra');
  });

  it.each([
    ['deleteSessions omitted', {}],
    ['deleteSessions: false', { deleteSessions: false }],
  ])('with %s refuses a subject that has sessions with SUBJECT_IN_USE and deletes nothing', async (_label, options) => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    await studied(s, id, 60);
    await studied(s, id, 60);
    const before = await snapshot();

    const error = await s.client.fail(DELETE, { id, ...options });
    expect(error).toMatchObject({
      message: 'The subject has sessions; delete them with it (deleteSessions: true) or archive it instead',
      extensions: { code: 'SUBJECT_IN_USE', sessions: 2 },
    });
    expect(await snapshot()).toEqual(before);
  });

  it('with deleteSessions: true deletes the subject, its sessions and their runs, and nothing else', async () => {
    const s = await student();
    const other = await student();
    const id = await createSubject(s, 'Algebra');
    const kept = await createSubject(s, 'Biology');
    const othersSubject = await createSubject(other, 'Algebra');
    await studied(s, id, 300);
    const { startSession } = await s.client.ok(START_SESSION, { input: { subjectId: id, type: 'FREE' } });
    t.clock.advanceSeconds(100);
    await s.client.ok(PAUSE_SESSION, { id: startSession.id });
    await s.client.ok(RESUME_SESSION, { id: startSession.id });
    t.clock.advanceSeconds(100);
    await s.client.ok(STOP_SESSION, { id: startSession.id });
    const keptSession = await studied(s, kept, 200);
    const othersSession = await studied(other, othersSubject, 400);
    const db = t.db.handle.db;
    const before = await snapshot();
    expect(before.studySessionRuns.filter((r) => r.subject_id === id)).toHaveLength(3);

    expect((await s.client.ok(DELETE, { id, deleteSessions: true })).deleteSubject).toBe(id);

    const after = await snapshot();
    expect(after.subjects).toEqual(before.subjects.filter((r) => r.id !== id));
    expect(after.studySessions).toEqual(before.studySessions.filter((r) => r.subject_id !== id));
    expect(after.studySessionRuns).toEqual(before.studySessionRuns.filter((r) => r.subject_id !== id));
    expect(after.studySessions.map((r) => r.id).sort()).toEqual(expect.arrayContaining([keptSession, othersSession]));
    expect(await db.selectFrom('study_sessions').select('id').where('subject_id', '=', id).execute()).toEqual([]);
    expect((await s.client.ok(HISTORY, {})).sessions.edges.map((e) => e.node.id)).toEqual([keptSession]);
    const stats = (await s.client.ok(STATS, { from: today(), to: today() })).studyStats;
    expect(stats.totalSeconds).toBe(200);
    expect(stats.bySubject.map((b) => b.subject.id)).toEqual([kept]);
  });

  it.each(['RUNNING', 'PAUSED'] as const)(
    'with deleteSessions: true refuses while one of its sessions is %s with SESSION_ACTIVE and deletes nothing',
    async (status) => {
      const s = await student();
      const id = await createSubject(s, 'Algebra');
      await studied(s, id, 60);
      const { startSession } = await s.client.ok(START_SESSION, { input: { subjectId: id, type: 'FREE' } });
      t.clock.advanceSeconds(30);
      if (status === 'PAUSED') await s.client.ok(PAUSE_SESSION, { id: startSession.id });
      const before = await snapshot();

      const error = await s.client.fail(DELETE, { id, deleteSessions: true });
      expect(error).toMatchObject({
        message: 'The session is running or paused; stop it first',
        extensions: { code: 'SESSION_ACTIVE', sessionId: startSession.id },
      });
      expect(await snapshot()).toEqual(before);
    },
  );

  it('with deleteSessions: true deletes a POMODORO whose time ran out (finished, though stored RUNNING)', async () => {
    const s = await student();
    const id = await createSubject(s, 'Algebra');
    const { startSession } = await s.client.ok(START_SESSION, { input: { subjectId: id, type: 'POMODORO', focusMinutes: 1 } });
    t.clock.advanceSeconds(61);
    // Nothing has read it since: the row still says RUNNING.
    expect((await t.db.handle.db.selectFrom('study_sessions').select('status').where('id', '=', startSession.id).executeTakeFirst())?.status)
      .toBe('RUNNING');

    expect((await s.client.ok(DELETE, { id, deleteSessions: true })).deleteSubject).toBe(id);
    expect(await t.db.handle.db.selectFrom('study_sessions').select('id').where('user_id', '=', s.userId).execute()).toEqual([]);
    expect(await t.db.handle.db.selectFrom('study_session_runs').select('id').where('user_id', '=', s.userId).execute()).toEqual([]);
  });
});

describe("another student's subject", () => {
  let owner: Student;
  let intruder: Student;
  let subjectId: string;
  beforeAll(async () => {
    owner = await student();
    intruder = await student();
    subjectId = await createSubject(owner, 'Algebra');
    await createSubject(intruder, 'Biology');
  });

  it.each([
    { field: 'renameSubject', run: (c: Student['client'], id: string) => c.request(RENAME, { id, name: 'Mine now' }) },
    { field: 'updateSubject', run: (c: Student['client'], id: string) => c.request(UPDATE, { id, input: { color: '#000000' } }) },
    { field: 'updateSubject', run: (c: Student['client'], id: string) => c.request(UPDATE, { id, input: {} }) },
    { field: 'archiveSubject', run: (c: Student['client'], id: string) => c.request(ARCHIVE, { id }) },
    { field: 'unarchiveSubject', run: (c: Student['client'], id: string) => c.request(UNARCHIVE, { id }) },
    { field: 'deleteSubject', run: (c: Student['client'], id: string) => c.request(DELETE, { id }) },
    { field: 'deleteSubject', run: (c: Student['client'], id: string) => c.request(DELETE, { id, deleteSessions: true }) },
  ])('$field answers NOT_FOUND exactly as for a missing id, and changes nothing', async ({ field, run }) => {
    // The owner has a session on it and an archived state to lose: nothing but ownership refuses.
    await studied(owner, subjectId, 60);
    const before = await snapshot();

    const foreign = answer(await run(intruder.client, subjectId));
    expect(foreign).toEqual(notFound(field));
    expect(answer(await run(intruder.client, randomUUID()))).toEqual(foreign);
    expect(await snapshot()).toEqual(before);
  });

  it("is never listed, archived or not", async () => {
    await owner.client.ok(ARCHIVE, { id: subjectId });
    const listed = JSON.stringify([
      await intruder.client.ok(LIST, { includeArchived: true }),
      await intruder.client.ok(LIST, { includeArchived: false }),
    ]);
    expect(listed).not.toContain(subjectId);
    await owner.client.ok(UNARCHIVE, { id: subjectId });
  });
});
