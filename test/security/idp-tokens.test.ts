import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type CryptoKey,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { insertExternalIdentity } from '../../src/auth/external-identity.repository.js';
import { createExternalAuth, type ExternalAlgorithm } from '../../src/auth/external-token.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { insertUser } from '../../src/users/user.repository.js';
import { snapshotDatabase } from '../support/database.js';
import { CREATE_SUBJECT, LOG_IN, LOG_OUT, ME, PASSWORD, signUpStudent, START_SESSION } from '../support/fixtures.js';
import { type GraphQLErrorBody } from '../support/graphql-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { disposeSockets, openClient, type WsTestClient, wsUrl } from '../support/ws-client.js';

// Access tokens of an external identity provider: a JWKS served from this process (keys made
// with jose for each accepted algorithm), the API on port 0, and every verdict checked through
// real HTTP (`me`) and a real WebSocket (acknowledgement, or 4403 with the reason). A refusal
// also leaves the database exactly as it was. The JWKS cooldown is 1 s, so key-rotation tests
// wait about a second of real time; token times follow each server's frozen manual clock.

const ISSUER = 'https://idp.example.test/realms/studyclock';
const AUDIENCE = 'studyclock-api';
const TOLERANCE_SECONDS = 5;
const ALGORITHMS: ExternalAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** Environment of every external-IdP server here; rate limits are out of the way (own suites test them). */
function idpEnv(extra: Record<string, string>): Record<string, string> {
  return {
    JWT_EXTERNAL_ISSUER: ISSUER,
    JWT_EXTERNAL_AUDIENCE: AUDIENCE,
    JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE_SECONDS),
    JWT_JWKS_COOLDOWN_SECONDS: '1',
    TOKEN_FAILURES_PER_IP: '100000',
    WS_CONNECTIONS_PER_IP_PER_MINUTE: '100000',
    OPERATIONS_PER_CONNECTION_PER_MINUTE: '1000000',
    OPERATIONS_PER_STUDENT_PER_MINUTE: '1000000',
    LOGIN_FAILURES_PER_IP: '100000',
    ...extra,
  };
}

// --- keys and tokens ----------------------------------------------------------------------

/** A signing key pair and its public JWK as a JWKS would publish it. */
interface TestKey {
  alg: ExternalAlgorithm;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

/** A fresh key pair for `alg`; its JWK declares `alg` unless told not to. */
async function makeKey(alg: ExternalAlgorithm, options: { declareAlg?: boolean } = {}): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', ...(options.declareAlg !== false && { alg }) };
  return { alg, kid, privateKey, publicKey, jwk };
}

/** The same key material as `key`, usable for `alg` (an RSA key signs PS256 as well as RS256). */
async function asAlgorithm(key: TestKey, alg: ExternalAlgorithm): Promise<TestKey> {
  const privateKey = (await importJWK(await exportJWK(key.privateKey), alg)) as CryptoKey;
  return { ...key, alg, privateKey };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Claims of a valid access token for `subject` as of `server`'s clock, 5 minutes long. */
function claimsFor(server: TestServer, subject: string, changes: JWTPayload = {}): JWTPayload {
  const now = Math.floor(server.clock.now().getTime() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: subject, iat: now, exp: now + 300, scope: 'openid', ...changes };
}

/**
 * Signs `claims` with `key` (RFC 9068 header `typ: at+jwt` and the key's `kid` unless `header`
 * says otherwise); claims set to undefined are left out.
 */
async function sign(key: TestKey, claims: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  const protectedHeader = Object.fromEntries(
    Object.entries({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }).filter(([, v]) => v !== undefined),
  ) as JWTHeaderParameters;
  return new SignJWT(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
}

/** Seconds since the epoch of `server`'s clock. */
const nowOf = (server: TestServer) => Math.floor(server.clock.now().getTime() / 1000);

// --- a JWKS endpoint that counts its fetches ------------------------------------------------

/** An HTTP server on 127.0.0.1 answering every GET with the current key set. */
interface KeyServer {
  url: string;
  keys: JWK[];
  /** Status to answer with (200 serves `keys`). */
  status: number;
  fetches: number;
  /** `Date.now()` of the last request, -Infinity before the first. */
  lastFetchAt: number;
  close(): Promise<void>;
}

async function startKeyServer(keys: JWK[] = []): Promise<KeyServer> {
  const state = { keys, status: 200, fetches: 0, lastFetchAt: Number.NEGATIVE_INFINITY };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    state.lastFetchAt = Date.now();
    if (state.status !== 200) {
      res.writeHead(state.status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  });
}

/** Waits until the API may fetch `keys` again (JWT_JWKS_COOLDOWN_SECONDS=1, plus a margin). */
async function waitOutCooldown(keys: KeyServer): Promise<void> {
  const wait = keys.lastFetchAt + 1_150 - Date.now();
  if (wait > 0) await delay(wait);
}

// --- what the API says -----------------------------------------------------------------------

const WS_REASONS = {
  invalid: 'Invalid token',
  expired: 'Token expired',
  revoked: 'Unknown user or revoked token',
  malformed: 'Malformed token',
} as const;
type Rejection = keyof typeof WS_REASONS;

afterEach(disposeSockets);

/** A tracked graphql-ws client on `server` presenting `token`. */
const connect = (server: TestServer, token: string): WsTestClient => openClient(wsUrl(server.origin), { connectionParams: { token } });

/** `me` over HTTP with `token`. */
async function me(server: TestServer, token: string) {
  return server.client().withToken(token).request(ME);
}

/**
 * Every row of every table, external identities included, but not `users.last_seen_at`: presence
 * writes it, asynchronously, when an accepted socket (of an earlier test, or one the test closes)
 * goes away. A refused socket never reaches presence.
 */
async function snapshot(server: TestServer) {
  const db = server.server.database.db;
  const rows = await snapshotDatabase(db);
  return {
    ...rows,
    users: rows.users.map(({ last_seen_at: _lastSeen, ...user }) => user),
    externalIdentities: await db.selectFrom('external_identities').selectAll().orderBy('issuer').orderBy('subject').execute(),
  };
}

/**
 * `token` is accepted for `userId` over HTTP and over WebSocket (acknowledged with its expiry
 * plus the tolerance); returns the open socket.
 */
async function expectAccepted(server: TestServer, token: string, userId: string): Promise<WsTestClient> {
  const res = await me(server, token);
  expect(res.errors).toBeUndefined();
  expect(res.data?.me.id).toBe(userId);
  const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
  const ws = connect(server, token);
  expect(await ws.connected).toEqual({ userId, expiresAt: new Date((exp.exp + TOLERANCE_SECONDS) * 1000).toISOString() });
  return ws;
}

/** `token` is refused with `reason` over HTTP (UNAUTHENTICATED) and WebSocket (4403), and nothing changed. */
async function expectRefused(server: TestServer, token: string, reason: Rejection): Promise<void> {
  const before = await snapshot(server);
  const res = await me(server, token);
  expect(res.data).toBeNull();
  expect(res.errors?.map((e: GraphQLErrorBody) => e.extensions)).toEqual([{ code: 'UNAUTHENTICATED', reason }]);
  const ws = connect(server, token);
  await expect(ws.connected).rejects.toMatchObject({ code: 4403, reason: WS_REASONS[reason] });
  expect(await snapshot(server)).toEqual(before);
}

/** A user row linked to (ISSUER, `subject`), as a provisioned or pre-registered one would be. */
async function linkStudent(server: TestServer, subject = `idp-user-${randomUUID()}`) {
  const db = server.server.database.db;
  const userId = randomUUID();
  const email = `${subject}@example.com`;
  await insertUser(db, { id: userId, email, passwordHash: null });
  await insertExternalIdentity(db, { issuer: ISSUER, subject, userId });
  return { userId, subject, email };
}

// --- the suites --------------------------------------------------------------------------------

describe('with a JWKS URL (JWT_JWKS_URL)', () => {
  let t: TestServer;
  let jwks: KeyServer;
  let attackerJwks: KeyServer;
  const keys = {} as Record<ExternalAlgorithm, TestKey>;
  /** An RSA key published without `alg`: pinned to RS256, the first RSA algorithm accepted. */
  let undeclared: TestKey;
  /** Keys the JWKS never had. */
  let attacker: TestKey;
  const published = () => [...ALGORITHMS.map((a) => keys[a].jwk), undeclared.jwk];

  beforeAll(async () => {
    for (const alg of ALGORITHMS) keys[alg] = await makeKey(alg);
    undeclared = await makeKey('RS256', { declareAlg: false });
    attacker = await makeKey('RS256');
    jwks = await startKeyServer(published());
    attackerJwks = await startKeyServer([{ ...attacker.jwk, kid: keys.RS256.kid }]);
    t = await startTestServer({ env: idpEnv({ JWT_JWKS_URL: jwks.url }) });
  });
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
    await attackerJwks?.close();
  });

  describe('accepted tokens', () => {
    it.each(ALGORITHMS)('accepts a %s access token of a linked subject over HTTP and WebSocket', async (alg) => {
      const student = await linkStudent(t);
      await expectAccepted(t, await sign(keys[alg], claimsFor(t, student.subject)), student.userId);
    });

    it('accepts RS256 from an RSA key published without alg (pinned to RS256)', async () => {
      const student = await linkStudent(t);
      await expectAccepted(t, await sign(undeclared, claimsFor(t, student.subject)), student.userId);
    });

    it('accepts a Keycloak-style token: header typ JWT and a typ claim of Bearer', async () => {
      const student = await linkStudent(t);
      const token = await sign(keys.RS256, claimsFor(t, student.subject, { typ: 'Bearer' }), { typ: 'JWT' });
      await expectAccepted(t, token, student.userId);
    });

    it('accepts an audience list that contains ours', async () => {
      const student = await linkStudent(t);
      const token = await sign(keys.ES256, claimsFor(t, student.subject, { aud: ['account', AUDIENCE] }));
      await expectAccepted(t, token, student.userId);
    });

    it('accepts a token that expired less than the tolerance ago, and closes its socket when the tolerance runs out', async () => {
      const student = await linkStudent(t);
      const token = await sign(keys.RS256, claimsFor(t, student.subject, { exp: nowOf(t) - (TOLERANCE_SECONDS - 1) }));
      const ws = await expectAccepted(t, token, student.userId);
      // 1 s of real time is left of the tolerance.
      expect(await ws.nextClose()).toEqual({ code: 4403, reason: 'Token expired' });
    });

    it('accepts a token whose nbf is less than the tolerance ahead', async () => {
      const student = await linkStudent(t);
      const token = await sign(keys.EdDSA, claimsFor(t, student.subject, { nbf: nowOf(t) + TOLERANCE_SECONDS - 1 }));
      await expectAccepted(t, token, student.userId);
    });

    it('applies the same tolerance to the built-in HS256 tokens', async () => {
      const student = await signUpStudent(t.client());
      t.clock.advanceSeconds(t.config.ACCESS_TOKEN_TTL_SECONDS + TOLERANCE_SECONDS - 1);
      expect((await me(t, student.accessToken)).data?.me.id).toBe(student.userId);
      t.clock.advanceSeconds(1);
      const refused = await me(t, student.accessToken);
      expect(refused.errors?.map((e) => e.extensions)).toEqual([{ code: 'UNAUTHENTICATED', reason: 'expired' }]);
    });
  });

  describe('refused tokens: UNAUTHENTICATED over HTTP, 4403 over WebSocket, nothing changes', () => {
    const cases: [string, Rejection, (subject: string) => Promise<string>][] = [
      ['the issuer is another', 'invalid', (s) => sign(keys.RS256, claimsFor(t, s, { iss: 'https://evil.example.test/' }))],
      ['the issuer is missing', 'invalid', (s) => sign(keys.RS256, claimsFor(t, s, { iss: undefined }))],
      ['the audience is another', 'invalid', (s) => sign(keys.ES256, claimsFor(t, s, { aud: 'another-api' }))],
      ['the audience is missing', 'invalid', (s) => sign(keys.ES256, claimsFor(t, s, { aud: undefined }))],
      ['exp is missing', 'invalid', (s) => sign(keys.PS256, claimsFor(t, s, { exp: undefined }))],
      ['it expired just beyond the tolerance', 'expired', (s) => sign(keys.RS256, claimsFor(t, s, { exp: nowOf(t) - TOLERANCE_SECONDS }))],
      ['nbf is in the future beyond the tolerance', 'invalid', (s) => sign(keys.EdDSA, claimsFor(t, s, { nbf: nowOf(t) + 60 }))],
      ['sub is missing', 'invalid', () => sign(keys.RS256, claimsFor(t, 'x', { sub: undefined }))],
      ['sub is longer than 255 characters', 'invalid', () => sign(keys.RS256, claimsFor(t, 'x'.repeat(256)))],
      [
        'alg is none (no signature)',
        'invalid',
        async (s) => `${base64url({ alg: 'none', typ: 'at+jwt', kid: keys.RS256.kid })}.${base64url(claimsFor(t, s))}.`,
      ],
      [
        'it is HS256 signed with the RSA public key (PEM) as the HMAC secret',
        'invalid',
        async (s) => {
          const secret = new TextEncoder().encode(await exportSPKI(keys.RS256.publicKey));
          return new SignJWT(claimsFor(t, s)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.RS256.kid }).sign(secret);
        },
      ],
      [
        'it is HS256 signed with the RSA public JWK (JSON) as the HMAC secret',
        'invalid',
        async (s) => {
          const secret = new TextEncoder().encode(JSON.stringify(keys.RS256.jwk));
          return new SignJWT(claimsFor(t, s)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.RS256.kid }).sign(secret);
        },
      ],
      ['it is signed with a key the JWKS never had, under a published kid', 'invalid', (s) => sign(attacker, claimsFor(t, s), { kid: keys.RS256.kid })],
      ['a key published with alg RS256 signs PS256', 'invalid', async (s) => sign(await asAlgorithm(keys.RS256, 'PS256'), claimsFor(t, s))],
      [
        'a key published without alg (pinned to RS256) signs PS256',
        'invalid',
        async (s) => sign(await asAlgorithm(undeclared, 'PS256'), claimsFor(t, s)),
      ],
      [
        'an embedded jwk header carries the attacker\'s key',
        'invalid',
        (s) => sign(attacker, claimsFor(t, s), { kid: keys.RS256.kid, jwk: { kty: 'RSA', n: attacker.jwk.n!, e: attacker.jwk.e! } }),
      ],
      [
        'an x5u header points at the attacker\'s certificate',
        'invalid',
        (s) => sign(attacker, claimsFor(t, s), { kid: keys.RS256.kid, x5u: attackerJwks.url.replace('jwks.json', 'cert.pem') }),
      ],
      ['the kid is a path traversal', 'invalid', (s) => sign(attacker, claimsFor(t, s), { kid: '../../etc/passwd' })],
      ['the kid is SQL', 'invalid', (s) => sign(attacker, claimsFor(t, s), { kid: "' OR 1=1 --" })],
      ['it is an OpenID Connect ID token (header typ JWT, no typ claim)', 'invalid', (s) => sign(keys.RS256, claimsFor(t, s, { nonce: 'n-0S6_WzA2Mj', auth_time: nowOf(t) }), { typ: 'JWT' })],
      ['it is an ID token without any typ', 'invalid', (s) => sign(keys.ES256, claimsFor(t, s, { nonce: 'n-0S6_WzA2Mj' }), { typ: undefined })],
      ['it is a Keycloak ID token (typ claim ID)', 'invalid', (s) => sign(keys.RS256, claimsFor(t, s, { typ: 'ID' }), { typ: 'JWT' })],
      ['it is a Keycloak refresh token (typ claim Refresh)', 'invalid', (s) => sign(keys.RS256, claimsFor(t, s, { typ: 'Refresh' }), { typ: 'JWT' })],
      ['header typ at+jwt contradicts a typ claim of ID', 'invalid', (s) => sign(keys.RS256, claimsFor(t, s, { typ: 'ID' }))],
      ['its header typ is another +jwt type', 'invalid', (s) => sign(keys.EdDSA, claimsFor(t, s), { typ: 'logout+jwt' })],
      ['its signature is cut off', 'malformed', async (s) => (await sign(keys.RS256, claimsFor(t, s))).split('.').slice(0, 2).join('.')],
    ];
    it.each(cases)('refuses a token when %s', async (_name, reason, token) => {
      const student = await linkStudent(t);
      await expectRefused(t, await token(student.subject), reason);
      // Only the configured JWKS is ever asked for keys.
      expect(attackerJwks.fetches).toBe(0);
    });

    it('never fetches keys from a jku header, even one naming a published kid', async () => {
      const student = await linkStudent(t);
      const token = await sign(attacker, claimsFor(t, student.subject), { kid: keys.RS256.kid, jku: attackerJwks.url });
      await expectRefused(t, token, 'invalid');
      expect(attackerJwks.fetches).toBe(0);
    });

    it('refuses a valid token of a subject linked to nobody (auto-provisioning off)', async () => {
      await expectRefused(t, await sign(keys.RS256, claimsFor(t, `stranger-${randomUUID()}`)), 'revoked');
    });

    it('refuses the tokens of a disabled user and closes their open sockets with 4403 "User disabled"', async () => {
      const student = await linkStudent(t);
      const token = await sign(keys.ES256, claimsFor(t, student.subject));
      const open = connect(t, token);
      await open.connected;
      const closed = open.nextClose();

      await t.server.services.users.disableUser(student.userId);

      expect(await closed).toEqual({ code: 4403, reason: 'User disabled' });
      await expectRefused(t, token, 'revoked');
    });
  });

  describe('key rotation (JWT_JWKS_COOLDOWN_SECONDS=1)', () => {
    afterEach(() => {
      jwks.keys = published();
    });

    it('accepts a key that appears in the JWKS after the keys were cached, by refetching on its unknown kid', async () => {
      const student = await linkStudent(t);
      await expectAccepted(t, await sign(keys.RS256, claimsFor(t, student.subject)), student.userId); // keys cached
      const next = await makeKey('ES256');
      jwks.keys = [...published(), next.jwk];
      await waitOutCooldown(jwks);
      const fetchesBefore = jwks.fetches;

      await expectAccepted(t, await sign(next, claimsFor(t, student.subject)), student.userId);
      expect(jwks.fetches).toBe(fetchesBefore + 1);
    });

    it('fetches the JWKS at most once per cooldown under a burst of unknown kids', async () => {
      const student = await linkStudent(t);
      const forged = await Promise.all(
        Array.from({ length: 20 }, () => sign(attacker, claimsFor(t, student.subject), { kid: `unknown-${randomUUID()}` })),
      );
      await waitOutCooldown(jwks);
      const fetchesBefore = jwks.fetches;

      const first = await Promise.all(forged.map((token) => me(t, token)));
      const second = await Promise.all(forged.map((token) => me(t, token)));

      for (const res of [...first, ...second]) expect(res.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'invalid' });
      expect(jwks.fetches).toBe(fetchesBefore + 1);
    });

    it('refuses a key removed from the JWKS once the rotation that removed it has been fetched', async () => {
      const student = await linkStudent(t);
      const old = await makeKey('PS256');
      const next = await makeKey('PS256');
      jwks.keys = [...published(), old.jwk];
      await waitOutCooldown(jwks);
      await expectAccepted(t, await sign(old, claimsFor(t, student.subject)), student.userId);

      jwks.keys = [...published(), next.jwk];
      await waitOutCooldown(jwks);
      await expectAccepted(t, await sign(next, claimsFor(t, student.subject)), student.userId);

      await expectRefused(t, await sign(old, claimsFor(t, student.subject)), 'invalid');
    });
  });
});

describe('auto-provisioning (EXTERNAL_USERS_AUTO_PROVISION=true)', () => {
  let t: TestServer;
  let jwks: KeyServer;
  let key: TestKey;

  beforeAll(async () => {
    key = await makeKey('ES256');
    jwks = await startKeyServer([key.jwk]);
    t = await startTestServer({ env: idpEnv({ JWT_JWKS_URL: jwks.url, EXTERNAL_USERS_AUTO_PROVISION: 'true' }) });
  });
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
  });

  const db = () => t.server.database.db;
  const usersCount = async () => Number((await db().selectFrom('users').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const identitiesOf = (subject: string) =>
    db().selectFrom('external_identities').selectAll().where('issuer', '=', ISSUER).where('subject', '=', subject).execute();

  it('creates exactly one user, with the email claim, under 10 concurrent first requests', async () => {
    const subject = `new-${randomUUID()}`;
    const email = `${subject}@idp.example.test`;
    const token = await sign(key, claimsFor(t, subject, { email, email_verified: true }));
    const before = await usersCount();

    const answers = await Promise.all(Array.from({ length: 10 }, () => me(t, token)));

    for (const res of answers) expect(res.errors).toBeUndefined();
    const ids = new Set(answers.map((res) => res.data?.me.id));
    expect(ids.size).toBe(1);
    const [userId] = ids;
    expect(answers[0]!.data?.me).toEqual({ id: userId, email });
    expect(await usersCount()).toBe(before + 1);
    expect(await identitiesOf(subject)).toEqual([{ issuer: ISSUER, subject, user_id: userId, created_at: expect.any(Date) }]);
    const row = await db().selectFrom('users').selectAll().where('id', '=', userId!).executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
  });

  it('gives a user without an email claim a placeholder at the issuer\'s host', async () => {
    const subject = `no-email-${randomUUID()}`;
    const res = await me(t, await sign(key, claimsFor(t, subject)));
    expect(res.errors).toBeUndefined();
    expect(res.data?.me.email).toBe(`${res.data?.me.id}@idp.example.test.external`);
  });

  it('never links to an existing account by email: a taken email claim gets a placeholder and a new user', async () => {
    const owner = await signUpStudent(t.client());
    const subject = `same-email-${randomUUID()}`;
    const res = await me(t, await sign(key, claimsFor(t, subject, { email: owner.email.toUpperCase() })));
    expect(res.errors).toBeUndefined();
    expect(res.data?.me.id).not.toBe(owner.userId);
    expect(res.data?.me.email).toBe(`${res.data?.me.id}@idp.example.test.external`);
    expect((await me(t, owner.accessToken)).data?.me).toEqual({ id: owner.userId, email: owner.email });
  });

  it('ignores an email claim marked unverified', async () => {
    const subject = `unverified-${randomUUID()}`;
    const res = await me(t, await sign(key, claimsFor(t, subject, { email: `${subject}@example.com`, email_verified: false })));
    expect(res.data?.me.email).toBe(`${res.data?.me.id}@idp.example.test.external`);
  });

  it('lets a provisioned user create a subject and start a session, over HTTP and WebSocket', async () => {
    const subject = `student-${randomUUID()}`;
    const token = await sign(key, claimsFor(t, subject));
    const client = t.client().withToken(token);
    const created = await client.ok(CREATE_SUBJECT, { name: 'Topology' });
    const started = await client.ok(START_SESSION, { input: { subjectId: created.createSubject.id, type: 'FREE' } });
    expect(started.startSession).toMatchObject({ status: 'RUNNING', subject: { id: created.createSubject.id } });

    const ws = connect(t, token);
    const ack = (await ws.connected) as { userId: string };
    const overWs = await new Promise<unknown>((resolve, reject) => {
      ws.client.subscribe({ query: String(CREATE_SUBJECT), variables: { name: 'Geometry' } }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(overWs).toEqual({ data: { createSubject: { id: expect.any(String), name: 'Geometry', createdAt: expect.any(String) } } });
    expect((await identitiesOf(subject))[0]?.user_id).toBe(ack.userId);
  });

  it('answers INVALID_CREDENTIALS to logIn with a provisioned user\'s email, whatever the password', async () => {
    const subject = `nopass-${randomUUID()}`;
    const email = `${subject}@idp.example.test`;
    expect((await me(t, await sign(key, claimsFor(t, subject, { email })))).errors).toBeUndefined();

    const refused = await t.client().fail(LOG_IN, { input: { email, password: PASSWORD } });
    expect(refused.extensions?.code).toBe('INVALID_CREDENTIALS');
  });

  it('logOut with an external token ends nothing: the token and every external socket keep working', async () => {
    const mine = await sign(key, claimsFor(t, `leaver-${randomUUID()}`));
    const theirs = await sign(key, claimsFor(t, `bystander-${randomUUID()}`));
    const myUser = (await me(t, mine)).data!.me.id;
    const bystander = connect(t, theirs);
    await bystander.connected;

    expect(await t.client().withToken(mine).ok(LOG_OUT)).toEqual({ logOut: true });

    expect((await me(t, mine)).data?.me.id).toBe(myUser);
    const overBystander = await new Promise<unknown>((resolve, reject) => {
      bystander.client.subscribe({ query: String(ME) }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(overBystander).toEqual({ data: { me: { id: expect.any(String), email: expect.any(String) } } });
    expect(bystander.closes).toEqual([]);
  });
});

describe('with a PEM public key (JWT_PUBLIC_KEY)', () => {
  let t: TestServer;
  let key: TestKey;
  let other: TestKey;

  beforeAll(async () => {
    key = await makeKey('RS256');
    other = await makeKey('RS256');
    t = await startTestServer({ env: idpEnv({ JWT_PUBLIC_KEY: await exportSPKI(key.publicKey) }) });
  });
  afterAll(() => t?.close());

  it('accepts an RS256 token signed with the matching private key (any kid)', async () => {
    const student = await linkStudent(t);
    await expectAccepted(t, await sign(key, claimsFor(t, student.subject), { kid: 'whatever-the-idp-calls-it' }), student.userId);
  });

  it('refuses PS256 with the same key: an RSA key is pinned to the first RSA algorithm accepted (RS256)', async () => {
    const student = await linkStudent(t);
    await expectRefused(t, await sign(await asAlgorithm(key, 'PS256'), claimsFor(t, student.subject)), 'invalid');
  });

  it('refuses HS256 signed with the configured PEM as the HMAC secret', async () => {
    const student = await linkStudent(t);
    const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
    const token = await new SignJWT(claimsFor(t, student.subject)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(secret);
    await expectRefused(t, token, 'invalid');
  });

  it('refuses a token signed by another RSA key', async () => {
    const student = await linkStudent(t);
    await expectRefused(t, await sign(other, claimsFor(t, student.subject)), 'invalid');
  });

  it('still accepts the built-in tokens', async () => {
    const student = await signUpStudent(t.client());
    expect((await me(t, student.accessToken)).data?.me.id).toBe(student.userId);
  });
});

describe('when the JWKS cannot be fetched', () => {
  let t: TestServer;
  let jwks: KeyServer;
  let key: TestKey;

  beforeAll(async () => {
    key = await makeKey('EdDSA');
    jwks = await startKeyServer([key.jwk]);
    jwks.status = 503;
    t = await startTestServer({ env: idpEnv({ JWT_JWKS_URL: jwks.url }) });
  });
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
  });

  it('answers SERVICE_UNAVAILABLE (HTTP) and 1013 (WebSocket), asks at most once per cooldown, and recovers', async () => {
    const student = await linkStudent(t);
    const token = await sign(key, claimsFor(t, student.subject));

    const answers = await Promise.all(Array.from({ length: 10 }, () => me(t, token)));
    for (const res of answers) expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    const ws = connect(t, token);
    await expect(ws.connected).rejects.toMatchObject({ code: 1013, reason: 'Try again later' });
    expect(jwks.fetches).toBe(1);

    jwks.status = 200;
    await waitOutCooldown(jwks);
    await expectAccepted(t, token, student.userId);
    expect(jwks.fetches).toBe(2);
  });
});

describe('configuration', () => {
  /** The problems loadConfig reports for `env` (fails the test if it accepts it). */
  function problems(env: Record<string, string>): readonly string[] {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error(`expected loadConfig to reject ${JSON.stringify(env)}`);
  }

  it('refuses an HS256 secret under 32 bytes and accepts one of 32', () => {
    expect(problems({ JWT_SECRET: 'x'.repeat(31) })).toEqual(['JWT_SECRET: must be at least 32 bytes']);
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toBe('x'.repeat(32));
  });

  it.each([
    ['JWT_JWKS_URL', async () => 'https://idp.example.test/jwks.json'],
    ['JWT_PUBLIC_KEY', async () => exportSPKI((await generateKeyPair('EdDSA', { extractable: true })).publicKey)],
  ])('refuses %s without both JWT_EXTERNAL_ISSUER and JWT_EXTERNAL_AUDIENCE', async (name, source) => {
    const value = await source();
    const expected = ['JWT_EXTERNAL_ISSUER, JWT_EXTERNAL_AUDIENCE: both required with JWT_JWKS_URL or JWT_PUBLIC_KEY'];
    expect(problems({ [name]: value })).toEqual(expected);
    expect(problems({ [name]: value, JWT_EXTERNAL_ISSUER: ISSUER })).toEqual(expected);
    expect(problems({ [name]: value, JWT_EXTERNAL_AUDIENCE: AUDIENCE })).toEqual(expected);
    expect(() => loadConfig({ [name]: value, JWT_EXTERNAL_ISSUER: ISSUER, JWT_EXTERNAL_AUDIENCE: AUDIENCE })).not.toThrow();
  });

  it('refuses a JWT_PUBLIC_KEY that is not a PEM public key, and reads \\n escapes of a one-line one', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const env = { JWT_EXTERNAL_ISSUER: ISSUER, JWT_EXTERNAL_AUDIENCE: AUDIENCE };
    const notPublic = 'JWT_PUBLIC_KEY: must be a PEM public key (SPKI, "-----BEGIN PUBLIC KEY-----")';
    expect(problems({ ...env, JWT_PUBLIC_KEY: await exportPKCS8(privateKey) })).toEqual([notPublic]);
    expect(problems({ ...env, JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----' })).toEqual([notPublic]);

    const pem = await exportSPKI(publicKey);
    expect(loadConfig({ ...env, JWT_PUBLIC_KEY: pem.trim().replace(/\n/g, '\\n') }).JWT_PUBLIC_KEY).toBe(pem.trim());
  });

  it('refuses to start with a PEM key that fits none of JWT_EXTERNAL_ALGORITHMS', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const config = loadConfig({
      JWT_PUBLIC_KEY: await exportSPKI(publicKey),
      JWT_EXTERNAL_ISSUER: ISSUER,
      JWT_EXTERNAL_AUDIENCE: AUDIENCE,
      JWT_EXTERNAL_ALGORITHMS: 'RS256,PS256',
    });
    expect(() => createExternalAuth(config)).toThrow('JWT_PUBLIC_KEY: a EC P-256 key fits none of JWT_EXTERNAL_ALGORITHMS (RS256, PS256)');
  });

  it('sets up no external provider without a key source', () => {
    expect(createExternalAuth(loadConfig({ JWT_EXTERNAL_ISSUER: ISSUER, JWT_EXTERNAL_AUDIENCE: AUDIENCE }))).toBeUndefined();
  });
});
