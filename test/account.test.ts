import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { graphql } from './__generated__/index.js';
import {
  createSubject,
  LOG_IN,
  LOG_OUT,
  ME,
  DELETE_ACCOUNT,
  PASSWORD,
  REFRESH,
  signUpStudent,
  START_SESSION,
  type Student,
  studentFrom,
  SIGN_UP,
  TIMER_UPDATED,
} from './support/fixtures.js';
import type { GraphQLTestClient, Operation, VariablesAnd } from './support/graphql-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { collect, disposeSockets, openClient, type WsTestClient, wsUrl } from './support/ws-client.js';

// Account management over real HTTP and real graphql-ws sockets: changing the password ends the
// other log-ins, the log-ins listed and revoked one by one, the account deleted with every row
// of it, and the settings. Each refusal is asserted by its code and by a database (and the
// sockets) left exactly as they were. The clock is frozen; tests that need log-ins apart in
// time move it forward a minute (access tokens live 15).

const CHANGE_PASSWORD = graphql(`
  mutation ChangePassword($current: String!, $new: String!) { changePassword(current: $current, new: $new) }
`);
const LOG_INS = graphql(`query LogIns { logIns { id createdAt lastUsedAt userAgent address current } }`);
const REVOKE_LOG_IN = graphql(`mutation RevokeLogIn($id: ID!) { revokeLogIn(id: $id) }`);
const UPDATE_SETTINGS = graphql(`
  mutation UpdateSettings($input: UpdateSettingsInput!) {
    updateSettings(input: $input) { timeZone weekStart goal { dailyMinutes weeklyMinutes } }
  }
`);

const NEW_PASSWORD = 'a brand new passphrase 42';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

afterEach(disposeSockets);

const db = () => t.db.handle.db;

/** A second log-in of `student`, from a client that says it is `userAgent`. */
async function logInAgain(student: Student, userAgent = 'second-device'): Promise<{ client: GraphQLTestClient; accessToken: string; refreshToken: string }> {
  const res = await t.client().request(LOG_IN, { input: { email: student.email, password: PASSWORD } }, { headers: { 'user-agent': userAgent } });
  const logIn = res.data!.logIn;
  return { client: t.client().withToken(logIn.accessToken), accessToken: logIn.accessToken, refreshToken: logIn.refreshToken! };
}

/** A new student signed up from a client that says it is `userAgent`. */
async function signUpFrom(userAgent: string): Promise<Student> {
  const email = `student-${randomUUID()}@example.com`;
  const res = await t.client().request(SIGN_UP, { input: { email, password: PASSWORD } }, { headers: { 'user-agent': userAgent } });
  return studentFrom(t.client(), email, res.data!.signUp);
}

/** An acknowledged socket of the log-in of `accessToken`. */
async function socketOf(accessToken: string): Promise<WsTestClient> {
  const ws = openClient(wsUrl(t.origin), { connectionParams: { token: accessToken } });
  await ws.connected;
  return ws;
}

/** Runs one query or mutation over the socket and returns its single result. */
async function runOnce<T, V>(ws: WsTestClient, query: Operation<T, V>, ...variables: VariablesAnd<V>) {
  const op = collect(ws.client, query, ...variables);
  await op.done;
  return op.results;
}

/** The log-ins of a user as stored: id, whether and why revoked. */
async function familiesOf(userId: string) {
  return db()
    .selectFrom('refresh_token_families')
    .select(['id', 'revoked_at', 'revoked_reason'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

/** What a refused password check must leave alone: the hash and every log-in's state. */
async function accountState(userId: string) {
  const user = await db().selectFrom('users').select(['password_hash']).where('id', '=', userId).executeTakeFirst();
  return { passwordHash: user?.password_hash, families: await familiesOf(userId) };
}

/** Rows of the user in every table of the application, by table. */
async function rowsOf(userId: string): Promise<Record<string, number>> {
  const families = db().selectFrom('refresh_token_families').select('id').where('user_id', '=', userId);
  const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number }> }) => (await q.executeTakeFirstOrThrow()).n;
  const n = sql<number>`count(*)::int`.as('n');
  return {
    users: await count(db().selectFrom('users').select(n).where('id', '=', userId)),
    refresh_token_families: await count(db().selectFrom('refresh_token_families').select(n).where('user_id', '=', userId)),
    refresh_tokens: await count(db().selectFrom('refresh_tokens').select(n).where('family_id', 'in', families)),
    subjects: await count(db().selectFrom('subjects').select(n).where('user_id', '=', userId)),
    study_sessions: await count(db().selectFrom('study_sessions').select(n).where('user_id', '=', userId)),
    study_session_runs: await count(db().selectFrom('study_session_runs').select(n).where('user_id', '=', userId)),
    external_identities: await count(db().selectFrom('external_identities').select(n).where('user_id', '=', userId)),
    // Cluster presence (empty on a single instance, which this file runs).
    ws_connections: await count(db().selectFrom('ws_connections').select(n).where('user_id', '=', userId)),
    presence_pending: await count(db().selectFrom('presence_pending').select(n).where('user_id', '=', userId)),
  };
}

/** A student with something in every table: two log-ins, a subject, a RUNNING session (and its run), settings, a linked identity. */
async function studentWithEverything() {
  const student = await signUpStudent(t.client());
  const second = await logInAgain(student);
  const subjectId = await createSubject(student);
  const { startSession } = await student.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
  await student.client.ok(UPDATE_SETTINGS, { input: { timeZone: 'Europe/Berlin', dailyGoalMinutes: 30 } });
  await db().insertInto('external_identities').values({ issuer: 'https://idp.example', subject: randomUUID(), user_id: student.userId }).execute();
  return { student, second, sessionId: startSession.id };
}

describe('changePassword', () => {
  it('ends every other log-in (its refresh fails, its socket closes with 4403 "Logged out") and keeps the current one', async () => {
    const student = await signUpStudent(t.client());
    const other = await logInAgain(student);
    const [currentSocket, otherSocket] = [await socketOf(student.accessToken), await socketOf(other.accessToken)];

    const closed = otherSocket.nextClose();
    expect(await student.client.ok(CHANGE_PASSWORD, { current: PASSWORD, new: NEW_PASSWORD })).toEqual({ changePassword: true });
    expect(await closed).toEqual({ code: 4403, reason: 'Logged out' });

    const refresh = await t.client().fail(REFRESH, { refreshToken: other.refreshToken });
    expect(refresh.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await other.client.fail(ME)).extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    const families = await familiesOf(student.userId);
    expect(families.filter((f) => f.revoked_reason === 'password_changed')).toHaveLength(1);

    // The current log-in: its access token, its socket and its refresh token all still work.
    expect(await student.client.ok(ME)).toEqual({ me: { id: student.userId, email: student.email } });
    expect(await runOnce(currentSocket, ME)).toEqual([{ data: { me: { id: student.userId, email: student.email } } }]);
    expect(currentSocket.closes).toEqual([]);
    expect((await t.client().ok(REFRESH, { refreshToken: student.refreshToken })).refreshToken.user.id).toBe(student.userId);

    // Only the new password logs in now.
    expect((await t.client().fail(LOG_IN, { input: { email: student.email, password: PASSWORD } })).extensions?.code).toBe('INVALID_CREDENTIALS');
    expect((await t.client().ok(LOG_IN, { input: { email: student.email, password: NEW_PASSWORD } })).logIn.user.id).toBe(student.userId);
  });

  it('refuses a wrong current password with INVALID_CREDENTIALS and changes nothing', async () => {
    const student = await signUpStudent(t.client());
    const other = await logInAgain(student);
    const otherSocket = await socketOf(other.accessToken);
    const before = await accountState(student.userId);

    const error = await student.client.fail(CHANGE_PASSWORD, { current: 'not the password at all', new: NEW_PASSWORD });
    expect(error).toMatchObject({ message: 'Password is incorrect', extensions: { code: 'INVALID_CREDENTIALS' } });

    expect(await accountState(student.userId)).toEqual(before);
    expect(await runOnce(otherSocket, ME)).toEqual([{ data: { me: { id: student.userId, email: student.email } } }]);
    expect(otherSocket.closes).toEqual([]);
    expect((await t.client().ok(LOG_IN, { input: { email: student.email, password: PASSWORD } })).logIn.user.id).toBe(student.userId);
  });

  it('refuses a new password the sign-up rules refuse with BAD_USER_INPUT naming `new`, and changes nothing', async () => {
    const student = await signUpStudent(t.client());
    await logInAgain(student);
    const before = await accountState(student.userId);

    const error = await student.client.fail(CHANGE_PASSWORD, { current: PASSWORD, new: 'short' });
    expect(error).toMatchObject({ message: 'the new password must be at least 10 characters', extensions: { code: 'BAD_USER_INPUT', field: 'new' } });

    expect(await accountState(student.userId)).toEqual(before);
  });

  it('never writes either password to the logs', async () => {
    const student = await signUpStudent(t.client());
    const wrong = `wrong-${randomUUID()}`;
    const fresh = `fresh-${randomUUID()}`;
    await student.client.fail(CHANGE_PASSWORD, { current: wrong, new: fresh });
    await student.client.ok(CHANGE_PASSWORD, { current: PASSWORD, new: fresh });
    expect(t.rawLogs()).not.toContain(wrong);
    expect(t.rawLogs()).not.toContain(fresh);
    expect(t.logs).toContainEqual(expect.objectContaining({ event: 'account.password_changed', userId: student.userId, loginsEnded: 0 }));
  });
});

describe('logIns', () => {
  it('lists both log-ins, most recently used first, with the current one marked and the client each came from', async () => {
    const student = await signUpFrom('laptop-browser/1.0');
    const signedUpAt = t.clock.now().toISOString();
    t.clock.advanceSeconds(60);
    const phone = await logInAgain(student, 'phone-app/2.0');
    const loggedInAt = t.clock.now().toISOString();

    const [first, second] = (await familiesOf(student.userId)).map((f) => f.id);
    const phoneId = (await phone.client.ok(LOG_INS)).logIns.find((l) => l.current)!.id;
    const laptopId = phoneId === first ? second : first;

    const seenFromLaptop = await student.client.ok(LOG_INS);
    expect(seenFromLaptop.logIns).toEqual([
      { id: phoneId, createdAt: loggedInAt, lastUsedAt: loggedInAt, userAgent: 'phone-app/2.0', address: '127.0.0.1', current: false },
      { id: laptopId, createdAt: signedUpAt, lastUsedAt: signedUpAt, userAgent: 'laptop-browser/1.0', address: '127.0.0.1', current: true },
    ]);
    const seenFromPhone = await phone.client.ok(LOG_INS);
    expect(seenFromPhone.logIns.map((l) => [l.id, l.current])).toEqual([
      [phoneId, true],
      [laptopId, false],
    ]);
  });

  it('shows a refresh as the last use, from the client that refreshed', async () => {
    const student = await signUpFrom('laptop-browser/1.0');
    const signedUpAt = t.clock.now().toISOString();
    t.clock.advanceSeconds(60);
    const res = await t.client().request(REFRESH, { refreshToken: student.refreshToken }, { headers: { 'user-agent': 'laptop-browser/1.1' } });
    const refreshedAt = t.clock.now().toISOString();

    const { logIns } = await t.client().withToken(res.data!.refreshToken.accessToken).ok(LOG_INS);
    expect(logIns).toEqual([
      { id: expect.any(String), createdAt: signedUpAt, lastUsedAt: refreshedAt, userAgent: 'laptop-browser/1.1', address: '127.0.0.1', current: true },
    ]);
  });

  it('leaves out log-ins that have ended', async () => {
    const student = await signUpStudent(t.client());
    const other = await logInAgain(student);
    await t.client().ok(LOG_OUT, { refreshToken: other.refreshToken });
    const { logIns } = await student.client.ok(LOG_INS);
    expect(logIns.map((l) => l.current)).toEqual([true]);
  });

  it('answers UNAUTHENTICATED without an access token', async () => {
    expect((await t.client().fail(LOG_INS)).extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'missing' });
  });
});

describe('revokeLogIn', () => {
  it('closes that log-in\'s socket with 4403 "Logged out" at once, kills its refresh token, and keeps the others', async () => {
    const student = await signUpStudent(t.client());
    const other = await logInAgain(student);
    const [currentSocket, otherSocket] = [await socketOf(student.accessToken), await socketOf(other.accessToken)];
    const otherId = (await other.client.ok(LOG_INS)).logIns.find((l) => l.current)!.id;

    const closed = otherSocket.nextClose();
    expect(await student.client.ok(REVOKE_LOG_IN, { id: otherId })).toEqual({ revokeLogIn: true });
    expect(await closed).toEqual({ code: 4403, reason: 'Logged out' });

    expect((await t.client().fail(REFRESH, { refreshToken: other.refreshToken })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await other.client.fail(ME)).extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    expect((await student.client.ok(LOG_INS)).logIns.map((l) => l.current)).toEqual([true]);
    expect(await runOnce(currentSocket, ME)).toEqual([{ data: { me: { id: student.userId, email: student.email } } }]);
    expect(currentSocket.closes).toEqual([]);
  });

  it('answers NOT_FOUND alike for another student\'s log-in, a missing one and an ended one, and changes nothing', async () => {
    const student = await signUpStudent(t.client());
    const victim = await signUpStudent(t.client());
    const victimSocket = await socketOf(victim.accessToken);
    const [victimLogIn] = (await victim.client.ok(LOG_INS)).logIns;
    const ended = await logInAgain(student);
    const endedId = (await ended.client.ok(LOG_INS)).logIns.find((l) => l.current)!.id;
    await t.client().ok(LOG_OUT, { refreshToken: ended.refreshToken });
    const before = [await familiesOf(student.userId), await familiesOf(victim.userId)];

    const errors = [];
    for (const id of [victimLogIn!.id, randomUUID(), endedId]) {
      const res = await student.client.request(REVOKE_LOG_IN, { id });
      errors.push(res.errors);
    }
    // The same answer, byte for byte, whichever it was.
    expect(errors[0]).toEqual([
      { message: 'Log-in not found or you do not have permission', locations: expect.any(Array), path: ['revokeLogIn'], extensions: { code: 'NOT_FOUND' } },
    ]);
    expect(errors).toEqual([errors[0], errors[0], errors[0]]);

    expect([await familiesOf(student.userId), await familiesOf(victim.userId)]).toEqual(before);
    expect(await runOnce(victimSocket, ME)).toEqual([{ data: { me: { id: victim.userId, email: victim.email } } }]);
    expect(victimSocket.closes).toEqual([]);
  });

  it('refuses a malformed id with BAD_USER_INPUT', async () => {
    const student = await signUpStudent(t.client());
    const error = await student.client.fail(REVOKE_LOG_IN, { id: 'not-an-id' });
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe('deleteAccount', () => {
  it('covers every table of the application in its row count', async () => {
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = current_schema() and table_name not like 'kysely\\_%'
    `.execute(db());
    // `instances` holds cluster members, nobody's data.
    const usersData = rows.map((r) => r.table_name).filter((name) => name !== 'instances');
    expect(Object.keys(await rowsOf(randomUUID())).sort()).toEqual(usersData.sort());
  });

  it('deletes every row of the student, closes every socket of theirs with 4403 "Account deleted", and no token works', async () => {
    const { student, second, sessionId } = await studentWithEverything();
    const bystander = await studentWithEverything();
    const bystanderRows = await rowsOf(bystander.student.userId);
    expect(await rowsOf(student.userId)).toEqual({
      users: 1,
      refresh_token_families: 2,
      refresh_tokens: 2,
      subjects: 1,
      study_sessions: 1,
      study_session_runs: 1,
      external_identities: 1,
      ws_connections: 0,
      presence_pending: 0,
    });
    const sockets = [await socketOf(student.accessToken), await socketOf(second.accessToken)];
    const timer = collect(sockets[0]!.client, TIMER_UPDATED, { id: sessionId });
    await timer.waitFor(1);
    const bystanderSocket = await socketOf(bystander.student.accessToken);

    const closes = sockets.map((s) => s.nextClose());
    expect(await student.client.ok(DELETE_ACCOUNT, { password: PASSWORD })).toEqual({ deleteAccount: true });
    expect(await Promise.all(closes)).toEqual([
      { code: 4403, reason: 'Account deleted' },
      { code: 4403, reason: 'Account deleted' },
    ]);

    expect(await rowsOf(student.userId)).toEqual({
      users: 0,
      refresh_token_families: 0,
      refresh_tokens: 0,
      subjects: 0,
      study_sessions: 0,
      study_session_runs: 0,
      external_identities: 0,
      ws_connections: 0,
      presence_pending: 0,
    });
    expect((await student.client.fail(ME)).extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    for (const refreshToken of [student.refreshToken, second.refreshToken]) {
      expect((await t.client().fail(REFRESH, { refreshToken })).extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await t.client().fail(LOG_IN, { input: { email: student.email, password: PASSWORD } })).extensions?.code).toBe('INVALID_CREDENTIALS');

    expect(await rowsOf(bystander.student.userId)).toEqual(bystanderRows);
    expect(await runOnce(bystanderSocket, ME)).toEqual([{ data: { me: { id: bystander.student.userId, email: bystander.student.email } } }]);
    expect(bystanderSocket.closes).toEqual([]);
  });

  it('refuses a wrong password with INVALID_CREDENTIALS and deletes nothing', async () => {
    const { student } = await studentWithEverything();
    const socket = await socketOf(student.accessToken);
    const rows = await rowsOf(student.userId);
    const state = await accountState(student.userId);

    const error = await student.client.fail(DELETE_ACCOUNT, { password: 'not the password at all' });
    expect(error).toMatchObject({ message: 'Password is incorrect', extensions: { code: 'INVALID_CREDENTIALS' } });

    expect(await rowsOf(student.userId)).toEqual(rows);
    expect(await accountState(student.userId)).toEqual(state);
    expect(await runOnce(socket, ME)).toEqual([{ data: { me: { id: student.userId, email: student.email } } }]);
    expect(socket.closes).toEqual([]);
  });
});

describe('updateSettings', () => {
  const settingsRow = (userId: string) =>
    db().selectFrom('users').select(['time_zone', 'week_start', 'daily_goal_minutes', 'weekly_goal_minutes']).where('id', '=', userId).executeTakeFirstOrThrow();

  it('changes the settings given, leaves the omitted ones, and sets null ones back to their defaults', async () => {
    const student = await signUpStudent(t.client());
    const first = await student.client.ok(UPDATE_SETTINGS, { input: { timeZone: 'Europe/Berlin', weekStart: 'SUNDAY', weeklyGoalMinutes: 300 } });
    expect(first.updateSettings).toEqual({ timeZone: 'Europe/Berlin', weekStart: 'SUNDAY', goal: { dailyMinutes: null, weeklyMinutes: 300 } });

    const second = await student.client.ok(UPDATE_SETTINGS, { input: { dailyGoalMinutes: 45 } });
    expect(second.updateSettings).toEqual({ timeZone: 'Europe/Berlin', weekStart: 'SUNDAY', goal: { dailyMinutes: 45, weeklyMinutes: 300 } });

    const cleared = await student.client.ok(UPDATE_SETTINGS, { input: { timeZone: null, weekStart: null, weeklyGoalMinutes: null } });
    expect(cleared.updateSettings).toEqual({ timeZone: null, weekStart: 'MONDAY', goal: { dailyMinutes: 45, weeklyMinutes: null } });
    expect(await settingsRow(student.userId)).toEqual({ time_zone: null, week_start: 1, daily_goal_minutes: 45, weekly_goal_minutes: null });

    const unchanged = await student.client.ok(UPDATE_SETTINGS, { input: {} });
    expect(unchanged.updateSettings).toEqual(cleared.updateSettings);
  });

  it.each([
    { name: 'a time zone that is not an IANA name', input: { timeZone: 'Mars/Olympus_Mons', weekStart: 'FRIDAY' as const }, field: 'timeZone' },
    { name: 'a time zone spelt in the wrong case', input: { timeZone: 'europe/berlin' }, field: 'timeZone' },
    { name: 'a daily goal over a day', input: { timeZone: 'Asia/Tokyo', dailyGoalMinutes: 1441 }, field: 'dailyGoalMinutes' },
    { name: 'a weekly goal of zero', input: { weekStart: 'TUESDAY' as const, weeklyGoalMinutes: 0 }, field: 'weeklyGoalMinutes' },
  ])('refuses $name with BAD_USER_INPUT naming the field, and changes nothing', async ({ input, field }) => {
    const student = await signUpStudent(t.client());
    await student.client.ok(UPDATE_SETTINGS, { input: { timeZone: 'Europe/Berlin', dailyGoalMinutes: 30 } });
    const before = await settingsRow(student.userId);

    const error = await student.client.fail(UPDATE_SETTINGS, { input });
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field });

    expect(await settingsRow(student.userId)).toEqual(before);
  });
});

describe('guessing the password with a stolen access token', () => {
  const FAILURES_PER_EMAIL = 2;
  let guarded: TestServer;
  beforeAll(async () => {
    guarded = await startTestServer({ env: { LOGIN_FAILURES_PER_EMAIL: String(FAILURES_PER_EMAIL) } });
  });
  afterAll(() => guarded.close());

  it('counts wrong passwords as failed log-ins of the email: past the allowance even the right one is RATE_LIMITED, and nothing changes', async () => {
    const student = await signUpStudent(guarded.client());
    for (let i = 0; i < FAILURES_PER_EMAIL; i++) {
      const error = await student.client.fail(CHANGE_PASSWORD, { current: `guess ${i} of many`, new: NEW_PASSWORD });
      expect(error.extensions?.code).toBe('INVALID_CREDENTIALS');
    }

    const deletion = await student.client.fail(DELETE_ACCOUNT, { password: PASSWORD });
    expect(deletion.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    // The same counter as logIn's.
    const logIn = await guarded.client().fail(LOG_IN, { input: { email: student.email, password: PASSWORD } });
    expect(logIn.extensions?.code).toBe('RATE_LIMITED');
    expect(await student.client.ok(ME)).toEqual({ me: { id: student.userId, email: student.email } });
  });
});
