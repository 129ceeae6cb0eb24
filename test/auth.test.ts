import { createHash, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { sql } from 'kysely';
import {
  LOG_IN,
  LOG_OUT,
  ME,
  PASSWORD,
  REFRESH,
  REJECTION_MESSAGES,
  type Rejection,
  SIGN_UP,
  signUpStudent,
} from './support/fixtures.js';
import type { GraphQLErrorBody, GraphQLResponse, GraphQLTestClient } from './support/graphql-client.js';
import type { LogInMutation, MeQuery, RefreshMutation } from './__generated__/graphql.js';
import { startTestServer, type TestServer } from './support/server.js';
import { REFRESH_REUSE_GRACE_MS } from '../src/auth/credentials.service.js';

// Authentication over real HTTP: sign-up, log-in, access tokens, refresh-token rotation with
// reuse detection, log-out, and cookie mode. One server (and database) for the whole file; every
// test signs up its own students, so tests share nothing but the clock, which only moves forward.

let t: TestServer;
beforeAll(async () => {
  // Behind a "proxy" on loopback, so that X-Forwarded-For gives the requests of a test the
  // addresses of different clients; requests without it come from 127.0.0.1 as usual.
  t = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
});
afterAll(() => t.close());

const ACCESS_TTL_SECONDS = 900;
/** A browser's requests, as the API sees them behind the loopback proxy. */
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0', 'x-forwarded-for': '203.0.113.5' };

const REFRESH_REFUSED = 'Refresh token is invalid, expired or already used';
const INVALID_CREDENTIALS = 'Email or password is incorrect';

const db = () => t.db.handle.db;
const uniqueEmail = (prefix = 'student') => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
/** The instant `seconds` after the test clock's now, as the API prints it. */
const clockPlus = (seconds: number) => new Date(t.clock.now().getTime() + seconds * 1000).toISOString();
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The only error of a response that must have failed with no data. */
function onlyError(res: GraphQLResponse<unknown>): GraphQLErrorBody {
  expect(res.data ?? null).toBeNull();
  expect(res.errors).toHaveLength(1);
  return res.errors![0]!;
}

/** Asserts the code, the fixed message and the exact extensions of a failed operation. */
function expectFailure(res: GraphQLResponse<unknown>, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  const error = onlyError(res);
  expect({ message: error.message, extensions: error.extensions }).toEqual({ message, extensions: { code, ...extensions } });
}

/** Asks `me` with `token` as the bearer token (none when undefined). */
function me(token: string | undefined, headers?: Record<string, string>): Promise<GraphQLResponse<MeQuery>> {
  return t.client().withToken(token).request(ME, undefined, { headers });
}

async function expectMeRejected(res: Promise<GraphQLResponse<MeQuery>>, reason: Rejection): Promise<void> {
  expectFailure(await res, 'UNAUTHENTICATED', REJECTION_MESSAGES[reason], { reason });
}

async function expectMeIs(token: string, userId: string): Promise<void> {
  const res = await me(token);
  expect(res.errors).toBeUndefined();
  expect(res.data?.me.id).toBe(userId);
}

function refresh(
  refreshToken: string | undefined,
  client: GraphQLTestClient = t.client(),
  headers?: Record<string, string>,
): Promise<GraphQLResponse<RefreshMutation>> {
  return client.request(REFRESH, refreshToken === undefined ? {} : { refreshToken }, { headers });
}

async function logIn(email: string): Promise<LogInMutation['logIn']> {
  const data = await t.client().ok(LOG_IN, { input: { email, password: PASSWORD } });
  return data.logIn;
}

/** The claims of a token this server issued, to forge variants of it. */
function claimsOf(token: string): jwt.JwtPayload {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new Error('not a JWT');
  return decoded.payload;
}

/** Signs `claims` with the server's own secret and `typ: at+jwt`, as the server would. */
function signLikeTheServer(claims: jwt.JwtPayload, secret = t.config.JWT_SECRET, typ = 'at+jwt'): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', header: { alg: 'HS256', typ } });
}

const countRows = async (table: 'users' | 'refresh_token_families' | 'refresh_tokens') =>
  (await db().selectFrom(table).select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

const familyOf = (accessToken: string) =>
  db().selectFrom('refresh_token_families').selectAll().where('id', '=', String(claimsOf(accessToken).sid)).executeTakeFirstOrThrow();

const storedRefreshToken = (refreshToken: string) =>
  db().selectFrom('refresh_tokens').selectAll().where('token_hash', '=', sha256(refreshToken)).executeTakeFirst();

async function disable(userId: string): Promise<void> {
  await db().updateTable('users').set({ disabled_at: t.clock.now() }).where('id', '=', userId).execute();
}

const authTables = () => Promise.all([countRows('users'), countRows('refresh_token_families'), countRows('refresh_tokens')]);

/**
 * Runs `during` with every insert into refresh_tokens failing, as a database lost between the
 * writes of one request would fail it: the writes before it in the same request must roll back.
 * Tests in a file run one at a time, so nothing else inserts a refresh token meanwhile.
 */
async function whileRefreshTokenInsertsFail<T>(during: () => Promise<T>): Promise<T> {
  await sql`create function fail_refresh_token_insert() returns trigger language plpgsql as $$
    begin raise exception 'refresh token insert failed on purpose'; end $$`.execute(db());
  await sql`create trigger fail_refresh_token_insert before insert on refresh_tokens
    for each row execute function fail_refresh_token_insert()`.execute(db());
  try {
    return await during();
  } finally {
    await sql`drop trigger fail_refresh_token_insert on refresh_tokens`.execute(db());
    await sql`drop function fail_refresh_token_insert()`.execute(db());
  }
}

/** Security events logged since log line `from`. */
const securityEvents = (from: number, event: string) =>
  t.logs.slice(from).filter((l) => l.security === true && l.event === event);

/**
 * Waits until pino-http has logged a marker request. It logs on the response's 'finish', which
 * may come after the client holds the response; requests awaited before the marker are in by then.
 */
async function untilLogsFlushed(): Promise<void> {
  const marker = randomUUID();
  await t.client().request('{ __typename }', undefined, { headers: { 'x-log-marker': marker } });
  for (let i = 0; i < 200; i++) {
    if (t.rawLogs().includes(marker)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the marker request was never logged');
}

interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

/** Parses Set-Cookie headers; attribute names are lower-cased, flags map to `true`. */
function setCookies(headers: Headers): Map<string, SetCookie> {
  const cookies = new Map<string, SetCookie>();
  for (const header of headers.getSetCookie()) {
    const [pair, ...rest] = header.split(';').map((part) => part.trim());
    const eq = pair!.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const attribute of rest) {
      const at = attribute.indexOf('=');
      if (at === -1) attributes[attribute.toLowerCase()] = true;
      else attributes[attribute.slice(0, at).toLowerCase()] = attribute.slice(at + 1);
    }
    const name = pair!.slice(0, eq);
    cookies.set(name, { name, value: decodeURIComponent(pair!.slice(eq + 1)), attributes });
  }
  return cookies;
}

/** Logs in with cookieMode in a fresh browser-like client; returns the client and the response. */
async function cookieLogIn(email: string): Promise<{ browser: GraphQLTestClient; res: GraphQLResponse<LogInMutation> }> {
  const browser = t.client();
  const res = await browser.request(LOG_IN, { input: { email, password: PASSWORD, cookieMode: true } });
  expect(res.errors).toBeUndefined();
  return { browser, res };
}

describe('signUp', () => {
  it('returns an access token, a refresh token, the access expiry 900 s from now and the new user', async () => {
    const email = uniqueEmail();
    const res = await t.client().request(SIGN_UP, { input: { email, password: PASSWORD } });

    expect(res.errors).toBeUndefined();
    const payload = res.data!.signUp;
    const user = await db().selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(payload).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      expiresAt: clockPlus(ACCESS_TTL_SECONDS),
      user: { id: user.id, email, createdAt: user.created_at.toISOString() },
    });
    await expectMeIs(payload.accessToken, user.id);
  });

  it('issues an access token for the new log-in with the configured issuer, audience and typ', async () => {
    const { accessToken, userId } = await signUpStudent(t.client());

    const { header, payload } = jwt.verify(accessToken, t.config.JWT_SECRET, { complete: true, ignoreExpiration: true }) as jwt.Jwt;
    const family = await familyOf(accessToken);
    const iat = t.clock.now().getTime() / 1000;
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(payload).toEqual({
      sub: userId,
      sid: family.id,
      iss: 'studyclock',
      aud: 'studyclock-api',
      iat,
      exp: iat + ACCESS_TTL_SECONDS,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(family).toMatchObject({ user_id: userId, revoked_at: null, revoked_reason: null });
  });

  it('stores the password only as a scrypt hash', async () => {
    const email = uniqueEmail();
    await t.client().ok(SIGN_UP, { input: { email, password: PASSWORD } });

    const user = await db().selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^scrypt\$14\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(user.password_hash).not.toContain(PASSWORD);
    expect(JSON.stringify(user)).not.toContain(PASSWORD);
  });

  it('stores the refresh token only as its SHA-256, expiring after REFRESH_TOKEN_TTL_SECONDS', async () => {
    const { refreshToken, accessToken } = await signUpStudent(t.client());

    const rows = await db().selectFrom('refresh_tokens').selectAll().where('family_id', '=', String(claimsOf(accessToken).sid)).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ token_hash: sha256(refreshToken), used_at: null });
    expect(rows[0]!.expires_at.toISOString()).toBe(clockPlus(t.config.REFRESH_TOKEN_TTL_SECONDS));
    expect(JSON.stringify(rows)).not.toContain(refreshToken);
  });

  it('refuses an email that is already registered with EMAIL_TAKEN and inserts nothing', async () => {
    const { email } = await signUpStudent(t.client());
    const before = await Promise.all([countRows('users'), countRows('refresh_token_families'), countRows('refresh_tokens')]);

    const res = await t.client().request(SIGN_UP, { input: { email, password: 'another strong passphrase' } });

    expectFailure(res, 'EMAIL_TAKEN', 'An account with that email already exists');
    expect(await Promise.all([countRows('users'), countRows('refresh_token_families'), countRows('refresh_tokens')])).toEqual(before);
  });

  it('refuses an email that differs only in case with EMAIL_TAKEN and inserts nothing', async () => {
    const { email } = await signUpStudent(t.client());
    const before = await countRows('users');

    const res = await t.client().request(SIGN_UP, { input: { email: email.toUpperCase(), password: PASSWORD } });

    expectFailure(res, 'EMAIL_TAKEN', 'An account with that email already exists');
    expect(await countRows('users')).toBe(before);
  });

  it('logs a refused duplicate sign-up as a security event', async () => {
    const { email } = await signUpStudent(t.client());
    const from = t.logs.length;

    await t.client().request(SIGN_UP, { input: { email, password: PASSWORD } });

    expect(securityEvents(from, 'auth.signup_rejected')).toEqual([
      expect.objectContaining({ level: 40, security: true, event: 'auth.signup_rejected', reason: 'email_taken' }),
    ]);
  });

  const tooLongEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`;
  it.each([
    ['not-an-email', 'email is not a valid email address'],
    ['student@', 'email is not a valid email address'],
    ['@example.com', 'email is not a valid email address'],
    ['student@example', 'email is not a valid email address'],
    ['two@@example.com', 'email is not a valid email address'],
    ['spaces in@example.com', 'email is not a valid email address'],
    ['   ', 'email is not a valid email address'],
    [tooLongEmail, 'email is too long'],
  ])('refuses the malformed email %j with BAD_USER_INPUT on field email and inserts no user', async (email, message) => {
    const before = await countRows('users');

    const res = await t.client().request(SIGN_UP, { input: { email, password: PASSWORD } });

    expectFailure(res, 'BAD_USER_INPUT', message, { field: 'email' });
    expect(await countRows('users')).toBe(before);
  });

  const local = `quentin.${randomUUID().slice(0, 8)}`;
  it.each([
    ['shorter than 10 characters', 'Sh0rt!pwd', 'password must be at least 10 characters'],
    ['longer than 128 characters', 'abcdefghij'.repeat(13).slice(0, 129), 'password must be at most 128 characters'],
    ['made of fewer than 5 different characters', 'aabbccddaabbccdd', 'password must use at least 5 different characters'],
    ['containing the email local part in any case', `my ${local.toUpperCase()} secret`, 'password must not contain your email'],
  ])('refuses a password %s with BAD_USER_INPUT on field password and inserts no user', async (_what, password, message) => {
    const before = await countRows('users');

    const res = await t.client().request(SIGN_UP, { input: { email: `${local}@example.com`, password } });

    expectFailure(res, 'BAD_USER_INPUT', message, { field: 'password' });
    expect(await countRows('users')).toBe(before);
  });

  it('leaves no account behind when storing the first refresh token fails, so the email can sign up again', async () => {
    const email = uniqueEmail();
    const before = await authTables();

    const res = await whileRefreshTokenInsertsFail(() => t.client().request(SIGN_UP, { input: { email, password: PASSWORD } }));

    expectFailure(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    expect(await authTables()).toEqual(before);
    const again = await t.client().request(SIGN_UP, { input: { email, password: PASSWORD } });
    expect(again.errors).toBeUndefined();
    expect(again.data?.signUp.user.email).toBe(email);
  });

  it('accepts passwords of exactly 10 and exactly 128 characters', async () => {
    const shortest = await t.client().request(SIGN_UP, { input: { email: uniqueEmail(), password: 'abcde12345' } });
    const longest = await t.client().request(SIGN_UP, {
      input: { email: uniqueEmail(), password: 'abcdefghij'.repeat(13).slice(0, 128) },
    });

    expect(shortest.errors).toBeUndefined();
    expect(longest.errors).toBeUndefined();
  });
});

describe('logIn', () => {
  it('logs in with the email in any case and starts a new log-in', async () => {
    const student = await signUpStudent(t.client());

    const payload = await logIn(student.email.toUpperCase());

    expect(payload).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      expiresAt: clockPlus(ACCESS_TTL_SECONDS),
      user: { id: student.userId, email: student.email },
    });
    expect(claimsOf(payload.accessToken).sid).not.toBe(claimsOf(student.accessToken).sid);
    const families = await db().selectFrom('refresh_token_families').select('id').where('user_id', '=', student.userId).execute();
    expect(families).toHaveLength(2);
    await expectMeIs(payload.accessToken, student.userId);
  });

  it('starts no log-in when storing its first refresh token fails', async () => {
    const { email } = await signUpStudent(t.client());
    const before = await authTables();

    const res = await whileRefreshTokenInsertsFail(() => t.client().request(LOG_IN, { input: { email, password: PASSWORD } }));

    expectFailure(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    expect(await authTables()).toEqual(before);
  });

  it('refuses an unknown email with INVALID_CREDENTIALS', async () => {
    const res = await t.client().request(LOG_IN, { input: { email: uniqueEmail('nobody'), password: PASSWORD } });

    expectFailure(res, 'INVALID_CREDENTIALS', INVALID_CREDENTIALS);
  });

  it('refuses a wrong password with the same INVALID_CREDENTIALS as an unknown email', async () => {
    const { email } = await signUpStudent(t.client());
    const families = await countRows('refresh_token_families');

    const wrong = await t.client().request(LOG_IN, { input: { email, password: `${PASSWORD}!` } });
    const unknown = await t.client().request(LOG_IN, { input: { email: uniqueEmail('nobody'), password: `${PASSWORD}!` } });

    expectFailure(wrong, 'INVALID_CREDENTIALS', INVALID_CREDENTIALS);
    expect(onlyError(wrong)).toEqual(onlyError(unknown));
    expect(await countRows('refresh_token_families')).toBe(families);
  });

  it('refuses a disabled student with the right password with INVALID_CREDENTIALS', async () => {
    const { email, userId } = await signUpStudent(t.client());
    await disable(userId);

    const res = await t.client().request(LOG_IN, { input: { email, password: PASSWORD } });

    expectFailure(res, 'INVALID_CREDENTIALS', INVALID_CREDENTIALS);
  });

  it('logs every failed log-in as a security event with its reason', async () => {
    const { email, userId } = await signUpStudent(t.client());
    const disabled = await signUpStudent(t.client());
    await disable(disabled.userId);
    const from = t.logs.length;

    await t.client().request(LOG_IN, { input: { email: uniqueEmail('nobody'), password: PASSWORD } });
    await t.client().request(LOG_IN, { input: { email, password: `${PASSWORD}!` } });
    await t.client().request(LOG_IN, { input: { email: disabled.email, password: PASSWORD } });

    const event = { level: 40, security: true, event: 'auth.login_failed', ip: expect.any(String) };
    expect(securityEvents(from, 'auth.login_failed')).toEqual([
      expect.objectContaining({ ...event, reason: 'unknown_email' }),
      expect.objectContaining({ ...event, reason: 'wrong_password', userId }),
      expect.objectContaining({ ...event, reason: 'user_disabled', userId: disabled.userId }),
    ]);
  });

  it('never writes a password, a password hash or a token to the logs', async () => {
    const email = uniqueEmail();
    const wrongPassword = 'Wrong-Password-That-Must-Not-Leak';
    const from = t.logs.length;
    const signUp = (await t.client().ok(SIGN_UP, { input: { email, password: PASSWORD } })).signUp;
    await t.client().request(LOG_IN, { input: { email, password: wrongPassword } });
    const good = await logIn(email);
    const rotated = (await refresh(good.refreshToken!)).data!.refreshToken;
    await me(signUp.accessToken);
    await me(`${good.accessToken}x`);
    const { browser, res: cookieLogInRes } = await cookieLogIn(email);
    await browser.request(ME);
    const cookieRefreshRes = await browser.request(REFRESH, {});
    await untilLogsFlushed();

    const { password_hash } = await db().selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
    const cookieValues = [cookieLogInRes, cookieRefreshRes].flatMap((r) => [...setCookies(r.headers).values()].map((c) => c.value));
    const secrets = [
      PASSWORD,
      wrongPassword,
      password_hash,
      signUp.accessToken,
      signUp.refreshToken!,
      sha256(signUp.refreshToken!),
      good.accessToken,
      good.refreshToken!,
      rotated.accessToken,
      rotated.refreshToken!,
      ...cookieValues,
    ];
    expect(cookieValues).toHaveLength(4);
    // The lines that could leak are really there: the failed log-in, the rejected token, and
    // access-log lines carrying (redacted) Authorization, Cookie and Set-Cookie headers.
    const lines = t.logs.slice(from) as { event?: string; userId?: string; req?: { headers?: any }; res?: { headers?: any } }[];
    expect(lines.filter((l) => l.event === 'auth.login_failed').map((l) => l.userId)).toEqual([signUp.user.id]);
    expect(lines.filter((l) => l.event === 'auth.token_rejected')).toHaveLength(1);
    expect(lines.some((l) => l.req?.headers?.authorization === '[redacted]')).toBe(true);
    expect(lines.some((l) => l.req?.headers?.cookie === '[redacted]')).toBe(true);
    expect(lines.some((l) => l.res?.headers?.['set-cookie'] === '[redacted]')).toBe(true);
    const logs = t.rawLogs();
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});

describe('me', () => {
  it('answers the student of a valid access token', async () => {
    const { accessToken, userId, email } = await signUpStudent(t.client());

    const res = await me(accessToken);

    expect(res).toMatchObject({ status: 200, errors: undefined, data: { me: { id: userId, email } } });
  });

  it('answers UNAUTHENTICATED with reason missing without a token', async () => {
    await expectMeRejected(me(undefined), 'missing');
  });

  it('answers UNAUTHENTICATED with reason malformed for a token that is not a JWT', async () => {
    await expectMeRejected(me('not.a-jwt'), 'malformed');
  });

  it('answers UNAUTHENTICATED with reason malformed for a non-Bearer Authorization header', async () => {
    await expectMeRejected(me(undefined, { authorization: 'Basic abc' }), 'malformed');
  });

  it('answers UNAUTHENTICATED with reason malformed for a refresh token used as an access token', async () => {
    const { refreshToken } = await signUpStudent(t.client());

    await expectMeRejected(me(refreshToken), 'malformed');
  });

  it('accepts a token signed with the server secret, issuer, audience and typ (the control for the forgeries below)', async () => {
    const { accessToken, userId } = await signUpStudent(t.client());

    await expectMeIs(signLikeTheServer(claimsOf(accessToken)), userId);
  });

  it('answers UNAUTHENTICATED with reason invalid for a token signed with another secret', async () => {
    const { accessToken } = await signUpStudent(t.client());
    const forged = signLikeTheServer(claimsOf(accessToken), 'another-secret-that-is-at-least-32-bytes-long');

    await expectMeRejected(me(forged), 'invalid');
  });

  it('answers UNAUTHENTICATED with reason invalid for an unsigned token with alg none', async () => {
    const { accessToken } = await signUpStudent(t.client());
    const unsigned = `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(claimsOf(accessToken))}.`;

    await expectMeRejected(me(unsigned), 'invalid');
  });

  it('answers UNAUTHENTICATED with reason invalid for a token from another issuer', async () => {
    const { accessToken } = await signUpStudent(t.client());

    await expectMeRejected(me(signLikeTheServer({ ...claimsOf(accessToken), iss: 'someone-else' })), 'invalid');
  });

  it('answers UNAUTHENTICATED with reason invalid for a token for another audience', async () => {
    const { accessToken } = await signUpStudent(t.client());

    await expectMeRejected(me(signLikeTheServer({ ...claimsOf(accessToken), aud: 'another-api' })), 'invalid');
  });

  it('answers UNAUTHENTICATED with reason invalid for a token whose typ is not at+jwt', async () => {
    const { accessToken } = await signUpStudent(t.client());

    await expectMeRejected(me(signLikeTheServer(claimsOf(accessToken), t.config.JWT_SECRET, 'JWT')), 'invalid');
  });

  it('accepts an access token one second before it expires', async () => {
    const { accessToken, userId } = await signUpStudent(t.client());

    t.clock.advanceSeconds(ACCESS_TTL_SECONDS - 1);

    await expectMeIs(accessToken, userId);
  });

  it('answers UNAUTHENTICATED with reason expired once the access token is 900 s old', async () => {
    const { accessToken } = await signUpStudent(t.client());

    t.clock.advanceSeconds(ACCESS_TTL_SECONDS);

    await expectMeRejected(me(accessToken), 'expired');
  });

  it('answers UNAUTHENTICATED with reason revoked for a token of a disabled student', async () => {
    const { accessToken, userId } = await signUpStudent(t.client());
    await disable(userId);

    await expectMeRejected(me(accessToken), 'revoked');
  });

  it('answers UNAUTHENTICATED with reason revoked for a token of a deleted student', async () => {
    const { accessToken, userId } = await signUpStudent(t.client());
    await db().deleteFrom('users').where('id', '=', userId).execute();

    await expectMeRejected(me(accessToken), 'revoked');
  });

  it('logs a rejected access token as a security event with its reason', async () => {
    const from = t.logs.length;

    await me('not.a-jwt');

    expect(securityEvents(from, 'auth.token_rejected')).toEqual([
      expect.objectContaining({ level: 40, transport: 'http', reason: 'malformed' }),
    ]);
  });
});

describe('refreshToken', () => {
  it('exchanges a refresh token for a new pair with a different refresh token in the same log-in', async () => {
    const { refreshToken, accessToken, userId } = await signUpStudent(t.client());
    t.clock.advanceSeconds(60);

    const res = await refresh(refreshToken);

    expect(res.errors).toBeUndefined();
    const pair = res.data!.refreshToken;
    expect(pair).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      expiresAt: clockPlus(ACCESS_TTL_SECONDS),
      user: { id: userId },
    });
    expect(pair.refreshToken).not.toBe(refreshToken);
    expect(pair.accessToken).not.toBe(accessToken);
    expect(claimsOf(pair.accessToken).sid).toBe(claimsOf(accessToken).sid);
    await expectMeIs(pair.accessToken, userId);
  });

  it('spends the presented refresh token and stores the new one in the same family', async () => {
    const { refreshToken, accessToken } = await signUpStudent(t.client());

    const pair = (await refresh(refreshToken)).data!.refreshToken;

    const old = await storedRefreshToken(refreshToken);
    const next = await storedRefreshToken(pair.refreshToken!);
    expect(old?.used_at?.toISOString()).toBe(t.clock.now().toISOString());
    expect(next).toMatchObject({ family_id: claimsOf(accessToken).sid, used_at: null });
  });

  it('leaves the presented refresh token unspent when storing its successor fails, so the log-in survives', async () => {
    const { refreshToken, accessToken, userId } = await signUpStudent(t.client());

    const res = await whileRefreshTokenInsertsFail(() => refresh(refreshToken));

    expectFailure(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    expect(await storedRefreshToken(refreshToken)).toMatchObject({ used_at: null });
    const retried = await refresh(refreshToken);
    expect(retried.errors).toBeUndefined();
    expect(retried.data?.refreshToken.user.id).toBe(userId);
    expect((await familyOf(accessToken)).revoked_at).toBeNull();
  });

  it('refuses a spent refresh token with UNAUTHENTICATED', async () => {
    const { refreshToken } = await signUpStudent(t.client());
    await refresh(refreshToken);

    expectFailure(await refresh(refreshToken), 'UNAUTHENTICATED', REFRESH_REFUSED);
  });

  it('revokes the whole log-in when a spent refresh token is presented again', async () => {
    const { refreshToken, accessToken, userId } = await signUpStudent(t.client());
    const newest = (await refresh(refreshToken)).data!.refreshToken;
    await expectMeIs(newest.accessToken, userId);
    t.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);

    await refresh(refreshToken);

    expectFailure(await refresh(newest.refreshToken!), 'UNAUTHENTICATED', REFRESH_REFUSED);
    await expectMeRejected(me(newest.accessToken), 'revoked');
    await expectMeRejected(me(accessToken), 'revoked');
    expect(await familyOf(newest.accessToken)).toMatchObject({
      revoked_at: t.clock.now(),
      revoked_reason: 'refresh_token_reuse',
    });
  });

  it('leaves the same student\'s other log-ins working when one log-in is revoked for reuse', async () => {
    const { refreshToken, email, userId } = await signUpStudent(t.client());
    const other = await logIn(email);
    await refresh(refreshToken);
    t.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);

    await refresh(refreshToken);
    expect((await familyOf(other.accessToken)).revoked_at).toBeNull();

    await expectMeIs(other.accessToken, userId);
  });

  it('logs refresh-token reuse as a security event naming the log-in', async () => {
    const { refreshToken, accessToken, userId } = await signUpStudent(t.client());
    await refresh(refreshToken);
    t.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);
    const from = t.logs.length;

    await refresh(refreshToken);

    expect(securityEvents(from, 'auth.refresh_reuse_detected')).toEqual([
      expect.objectContaining({ level: 40, security: true, userId, familyId: claimsOf(accessToken).sid, reason: 'after_grace' }),
    ]);
  });

  it('refuses a spent refresh token presented again within the reuse grace by the same client without revoking the log-in', async () => {
    const { refreshToken, userId } = await signUpStudent(t.client());
    const winner = (await refresh(refreshToken, t.client(), BROWSER)).data!.refreshToken;
    t.clock.advance(REFRESH_REUSE_GRACE_MS - 1000);

    expectFailure(await refresh(refreshToken, t.client(), BROWSER), 'UNAUTHENTICATED', REFRESH_REFUSED);

    await expectMeIs(winner.accessToken, userId);
    expect((await familyOf(winner.accessToken)).revoked_at).toBeNull();
    expect((await refresh(winner.refreshToken!, t.client(), BROWSER)).errors).toBeUndefined();
  });

  // A thief who presents a stolen refresh token first wins the new pair; the victim's refresh,
  // moments later from its own client, is what gives the theft away.
  it.each([
    ['user agent', { ...BROWSER, 'user-agent': 'curl/8.11.1' }],
    ['address', { ...BROWSER, 'x-forwarded-for': '198.51.100.7' }],
  ])('revokes the log-in when a spent refresh token is presented again within the grace from another %s', async (_what, thief) => {
    const { refreshToken, accessToken, userId } = await signUpStudent(t.client());
    const stolen = (await refresh(refreshToken, t.client(), thief)).data!.refreshToken;
    const from = t.logs.length;

    expectFailure(await refresh(refreshToken, t.client(), BROWSER), 'UNAUTHENTICATED', REFRESH_REFUSED);

    expect(await familyOf(accessToken)).toMatchObject({ revoked_at: t.clock.now(), revoked_reason: 'refresh_token_reuse' });
    await expectMeRejected(me(stolen.accessToken), 'revoked');
    expectFailure(await refresh(stolen.refreshToken!, t.client(), thief), 'UNAUTHENTICATED', REFRESH_REFUSED);
    expect(securityEvents(from, 'auth.refresh_reuse_detected')).toEqual([
      expect.objectContaining({ userId, familyId: claimsOf(accessToken).sid, reason: 'other_client', ip: '203.0.113.5' }),
    ]);
  });

  it('remembers who spent a refresh token only as a hash of its address and user agent', async () => {
    const { refreshToken } = await signUpStudent(t.client());
    await refresh(refreshToken, t.client(), BROWSER);

    const spent = await storedRefreshToken(refreshToken);
    expect(spent?.used_by_client).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(spent)).not.toContain('203.0.113.5');
  });

  it('refuses an unknown refresh token with UNAUTHENTICATED', async () => {
    expectFailure(await refresh('x'.repeat(43)), 'UNAUTHENTICATED', REFRESH_REFUSED);
  });

  it('refuses a request with no refresh token and no cookie with UNAUTHENTICATED', async () => {
    expectFailure(await refresh(undefined), 'UNAUTHENTICATED', 'No refresh token was presented', { reason: 'missing' });
  });

  it('accepts a refresh token one second before REFRESH_TOKEN_TTL_SECONDS have passed', async () => {
    const { refreshToken, userId } = await signUpStudent(t.client());

    t.clock.advanceSeconds(t.config.REFRESH_TOKEN_TTL_SECONDS - 1);

    const res = await refresh(refreshToken);
    expect(res.errors).toBeUndefined();
    expect(res.data?.refreshToken.user.id).toBe(userId);
  });

  it('refuses a refresh token once REFRESH_TOKEN_TTL_SECONDS have passed with UNAUTHENTICATED', async () => {
    const { refreshToken } = await signUpStudent(t.client());

    t.clock.advanceSeconds(t.config.REFRESH_TOKEN_TTL_SECONDS);

    expectFailure(await refresh(refreshToken), 'UNAUTHENTICATED', REFRESH_REFUSED);
    expect(await storedRefreshToken(refreshToken)).toMatchObject({ used_at: null });
  });

  it('refuses the refresh token of a disabled student with UNAUTHENTICATED', async () => {
    const { refreshToken, userId } = await signUpStudent(t.client());
    await disable(userId);

    expectFailure(await refresh(refreshToken), 'UNAUTHENTICATED', REFRESH_REFUSED);
  });

  it('lets exactly one of five concurrent refreshes of the same token succeed', async () => {
    const { refreshToken } = await signUpStudent(t.client());

    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(refreshToken)));

    const succeeded = results.filter((r) => r.errors === undefined);
    const refused = results.filter((r) => r.errors !== undefined);
    expect(succeeded).toHaveLength(1);
    for (const r of refused) expectFailure(r, 'UNAUTHENTICATED', REFRESH_REFUSED);
    const issued = await db()
      .selectFrom('refresh_tokens')
      .select('id')
      .where('family_id', '=', String(claimsOf(succeeded[0]!.data!.refreshToken.accessToken).sid))
      .execute();
    expect(issued).toHaveLength(2);
  });
});

describe('logOut', () => {
  it('answers true and revokes the log-in of the given refresh token', async () => {
    const { refreshToken, accessToken } = await signUpStudent(t.client());

    const data = await t.client().ok(LOG_OUT, { refreshToken });

    expect(data).toEqual({ logOut: true });
    expect(await familyOf(accessToken)).toMatchObject({ revoked_at: t.clock.now(), revoked_reason: 'logout' });
  });

  it('rejects the access token of a logged-out log-in with reason revoked', async () => {
    const { refreshToken, accessToken } = await signUpStudent(t.client());

    await t.client().ok(LOG_OUT, { refreshToken });

    await expectMeRejected(me(accessToken), 'revoked');
  });

  it('refuses the refresh token of a logged-out log-in with UNAUTHENTICATED', async () => {
    const { refreshToken } = await signUpStudent(t.client());

    await t.client().ok(LOG_OUT, { refreshToken });

    expectFailure(await refresh(refreshToken), 'UNAUTHENTICATED', REFRESH_REFUSED);
  });

  it('leaves another log-in of the same student working', async () => {
    const student = await signUpStudent(t.client());
    const other = await logIn(student.email);

    await t.client().ok(LOG_OUT, { refreshToken: student.refreshToken });

    await expectMeIs(other.accessToken, student.userId);
    const rotated = await refresh(other.refreshToken!);
    expect(rotated.errors).toBeUndefined();
  });

  it('revokes the log-in of the bearer token when no refresh token is given', async () => {
    const student = await signUpStudent(t.client());
    const other = await logIn(student.email);

    const data = await student.client.ok(LOG_OUT);

    expect(data).toEqual({ logOut: true });
    await expectMeRejected(me(student.accessToken), 'revoked');
    expectFailure(await refresh(student.refreshToken), 'UNAUTHENTICATED', REFRESH_REFUSED);
    await expectMeIs(other.accessToken, student.userId);
  });
});

describe('cookie mode', () => {
  it('sets httpOnly, Secure, SameSite=Strict cookies: the access token on / and the refresh token on /graphql', async () => {
    const { email } = await signUpStudent(t.client());

    const { res } = await cookieLogIn(email);

    const cookies = setCookies(res.headers);
    expect([...cookies.keys()]).toEqual(['studyclock_access', 'studyclock_refresh']);
    expect(cookies.get('studyclock_access')).toEqual({
      name: 'studyclock_access',
      value: res.data!.logIn.accessToken,
      attributes: expect.objectContaining({ httponly: true, secure: true, samesite: 'Strict', path: '/' }),
    });
    expect(cookies.get('studyclock_refresh')).toEqual({
      name: 'studyclock_refresh',
      value: expect.stringMatching(/^[\w-]{43}$/),
      attributes: expect.objectContaining({ httponly: true, secure: true, samesite: 'Strict', path: '/graphql' }),
    });
  });

  // Max-Age must be counted from the clock that dated the tokens (the injected one), or a cookie
  // outlives its token or, as here with a clock behind the wall clock, is born already expired.
  it('gives the cookies the lifetimes of their tokens', async () => {
    const { email } = await signUpStudent(t.client());

    const { res } = await cookieLogIn(email);

    const cookies = setCookies(res.headers);
    expect(cookies.get('studyclock_access')?.attributes['max-age']).toBe(String(ACCESS_TTL_SECONDS));
    expect(cookies.get('studyclock_refresh')?.attributes['max-age']).toBe(String(t.config.REFRESH_TOKEN_TTL_SECONDS));
  });

  it('returns no refresh token in the response and stores the one in the cookie', async () => {
    const { email, userId } = await signUpStudent(t.client());

    const { res, browser } = await cookieLogIn(email);

    expect(res.data!.logIn).toEqual({
      accessToken: expect.any(String),
      refreshToken: null,
      expiresAt: clockPlus(ACCESS_TTL_SECONDS),
      user: { id: userId, email },
    });
    const stored = await storedRefreshToken(browser.cookies.get('studyclock_refresh')!);
    expect(stored).toMatchObject({ family_id: claimsOf(res.data!.logIn.accessToken).sid, used_at: null });
  });

  it('authenticates me by the access cookie alone, without an Authorization header', async () => {
    const { email, userId } = await signUpStudent(t.client());
    const { browser } = await cookieLogIn(email);

    const res = await me(undefined, { cookie: `studyclock_access=${browser.cookies.get('studyclock_access')}` });

    expect(res.errors).toBeUndefined();
    expect(res.data?.me).toEqual({ id: userId, email });
  });

  it('refreshes from the refresh cookie when no argument is given, setting new cookies', async () => {
    const { email, userId } = await signUpStudent(t.client());
    const { browser } = await cookieLogIn(email);
    const oldRefresh = browser.cookies.get('studyclock_refresh')!;
    const oldAccess = browser.cookies.get('studyclock_access')!;
    t.clock.advanceSeconds(60);

    const res = await refresh(undefined, browser);

    expect(res.errors).toBeUndefined();
    expect(res.data!.refreshToken).toEqual({
      accessToken: expect.any(String),
      refreshToken: null,
      expiresAt: clockPlus(ACCESS_TTL_SECONDS),
      user: { id: userId },
    });
    const cookies = setCookies(res.headers);
    expect(cookies.get('studyclock_access')?.value).toBe(res.data!.refreshToken.accessToken);
    expect(cookies.get('studyclock_access')?.value).not.toBe(oldAccess);
    expect(cookies.get('studyclock_refresh')?.value).toMatch(/^[\w-]{43}$/);
    expect(cookies.get('studyclock_refresh')?.value).not.toBe(oldRefresh);
    expect((await storedRefreshToken(oldRefresh))?.used_at).not.toBeNull();
    const after = await browser.request(ME);
    expect(after.data?.me.id).toBe(userId);
  });

  it('clears both cookies on logOut with an expiry in the past', async () => {
    const { email } = await signUpStudent(t.client());
    const { browser } = await cookieLogIn(email);

    const res = await browser.request(LOG_OUT, {});

    expect(res.data).toEqual({ logOut: true });
    const cookies = setCookies(res.headers);
    for (const [name, path] of [['studyclock_access', '/'], ['studyclock_refresh', '/graphql']] as const) {
      const cookie = cookies.get(name);
      expect(cookie).toMatchObject({ value: '', attributes: expect.objectContaining({ path }) });
      expect(Date.parse(String(cookie?.attributes.expires))).toBeLessThan(Date.now());
    }
    expect(browser.cookies.size).toBe(0);
  });

  it('rejects the old access cookie after logOut with reason revoked', async () => {
    const { email } = await signUpStudent(t.client());
    const { browser } = await cookieLogIn(email);
    const oldAccess = browser.cookies.get('studyclock_access')!;

    await browser.request(LOG_OUT, {});

    await expectMeRejected(me(undefined, { cookie: `studyclock_access=${oldAccess}` }), 'revoked');
  });

  it('refuses the old refresh cookie after logOut with UNAUTHENTICATED', async () => {
    const { email } = await signUpStudent(t.client());
    const { browser } = await cookieLogIn(email);
    const oldRefresh = browser.cookies.get('studyclock_refresh')!;

    await browser.request(LOG_OUT, {});

    const res = await t.client().request(REFRESH, {}, { headers: { cookie: `studyclock_refresh=${oldRefresh}` } });
    expectFailure(res, 'UNAUTHENTICATED', REFRESH_REFUSED);
  });
});
