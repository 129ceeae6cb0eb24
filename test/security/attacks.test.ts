import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { ForbiddenReasons } from '../../src/ws/close-codes.js';
import { snapshotDatabase } from '../support/database.js';
import {
  CREATE_SUBJECT,
  createSubject,
  LOG_OUT,
  ME,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  SESSIONS,
  START_SESSION,
  STOP_SESSION,
  REJECTION_MESSAGES,
  type Rejection,
  type SessionIdDocument,
  signUpStudent,
  type Student,
  SUBJECTS,
  TIMER_UPDATED,
} from '../support/fixtures.js';
import type { AnyOperation, GraphQLErrorBody } from '../support/graphql-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type CloseInfo, collect, connectWs, eventually, wsUrl, type WsTestClient } from '../support/ws-client.js';

// Adversarial suite: one table row per attack, each asserting the exact answer the attacker
// gets (GraphQL `extensions.code` and message, or the WebSocket close code and reason) and the
// exact database after it (by default: not one row, not one column changed).
//
// Adding a row: append an `AttackRow` to `attacks` (or to one of the lists it is built from).
// `arrange` sets the scene and returns the attack; the snapshot is taken in between, so
// whatever the scene needs (a student, a session, a deleted user) is not counted as a change.
// A row that needs its own configuration names an entry of `environments`; each environment
// gets one server, started on first use and closed after the file.
//
// Environments: `default` (the built-in HS256 tokens, with the production clock tolerance of
// 5 s) and `externalIdp` (also an external identity provider's RS256 tokens, by its public
// key, with auto-provisioning on, so that a forged token accepted by mistake would show as a
// new user). Each token attack runs over HTTP (`me` and `createSubject`) and at the socket's
// `connection_init`; each ownership attack over HTTP and over an open socket, on a foreign id
// and on a missing one, with the same expected answer for both.
//
// Every server's clock is frozen and never moved by this file: tokens carry their own
// instants (an expired one has `exp` in the past), so nothing ages between arrange and attack.

const SESSION_NOT_FOUND = 'Session not found or you do not have permission';
const SUBJECT_NOT_FOUND = 'Subject not found or you do not have permission';
const SUBSCRIPTION_OVER_HTTP = 'Subscriptions are served over WebSocket (subprotocol graphql-transport-ws) at /graphql';

/** The identity provider of the `externalIdp` environment: its key pair (the attacker knows only the public half). */
const idpKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const IDP_PUBLIC_PEM = idpKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const IDP_ISSUER = 'https://idp.example.test/';
const IDP_AUDIENCE = 'studyclock-api';

/** The attacker's own key pair, for tokens that bring (or point to) their own key. */
const attackerKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ATTACKER_JWK = { ...attackerKeys.publicKey.export({ format: 'jwk' }), kid: 'attacker-key', use: 'sig', alg: 'RS256' };

/**
 * Settings every environment shares. Limits that are not what a row tests are raised out of
 * the way, so that sixty refused tokens from 127.0.0.1 do not turn into RATE_LIMITED answers.
 * The heartbeat is slower than this file runs (a heartbeat write would change `last_seen_at`
 * between two snapshots), and disconnect pauses are immediate so none is left pending.
 */
const baseEnv: Record<string, string> = {
  ACCESS_TOKEN_TTL_SECONDS: '86400',
  // The production default (the shared test environment sets 0 for exact expiry instants).
  JWT_CLOCK_TOLERANCE_SECONDS: '5',
  DISCONNECT_GRACE_SECONDS: '0',
  LAST_SEEN_HEARTBEAT_SECONDS: '300',
  TOKEN_FAILURES_PER_IP: '100000',
  OPERATIONS_PER_CONNECTION_PER_MINUTE: '1000000',
  OPERATIONS_PER_STUDENT_PER_MINUTE: '1000000',
  WS_CONNECTIONS_PER_IP_PER_MINUTE: '100000',
  WS_MAX_SOCKETS_PER_IP: '100000',
};

/** The configurations attacks run against; each gets its own server and database. */
const environments = {
  default: {},
  /** Also accepts RS256 tokens of an external identity provider, by its public key, and creates their users. */
  externalIdp: {
    JWT_PUBLIC_KEY: IDP_PUBLIC_PEM,
    JWT_EXTERNAL_ISSUER: IDP_ISSUER,
    JWT_EXTERNAL_AUDIENCE: IDP_AUDIENCE,
    EXTERNAL_USERS_AUTO_PROVISION: 'true',
  },
} satisfies Record<string, Record<string, string>>;
type Environment = keyof typeof environments;

const servers = new Map<Environment, Promise<TestServer>>();
function serverFor(environment: Environment): Promise<TestServer> {
  let server = servers.get(environment);
  if (!server) {
    server = startTestServer({ env: { ...baseEnv, ...environments[environment] } });
    servers.set(environment, server);
  }
  return server;
}

/**
 * A tiny HTTP server standing in for the attacker's key server (`jku`, `x5u`): it serves the
 * attacker's JWKS and counts requests. The API must never fetch a key a token points to.
 */
let keyServer: Server;
let keyServerUrl: string;
const keyServerRequests: string[] = [];
beforeAll(async () => {
  keyServer = createServer((req, res) => {
    keyServerRequests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [ATTACKER_JWK] }));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const intruder of intruders.values()) await (await intruder).ws.dispose();
  for (const server of servers.values()) await (await server).close();
  await new Promise((resolve) => keyServer.close(resolve));
});

// ---------------------------------------------------------------------------------------------
// What an attacker can observe

/** One GraphQL error as the attacker sees it (its `locations` depend on the document's layout). */
interface ErrorAnswer {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** What came back to the attacker, in a form rows state exactly. */
type Outcome =
  /** An HTTP response: status, `data` (null when absent) and errors. */
  | { over: 'http'; status: number; data: unknown; errors: ErrorAnswer[] | undefined }
  /**
   * One operation over an acknowledged socket: its `next` results, its `error` message (if
   * that is how it failed), and whether the socket was still open and usable afterwards.
   */
  | { over: 'ws'; results: { data: unknown; errors: ErrorAnswer[] | undefined }[]; error?: ErrorAnswer[]; socket: 'open' | CloseInfo }
  /** A socket: how the server closed it (if it did), and the types of the messages it sent. */
  | { over: 'socket'; close: CloseInfo | 'still open'; received: string[] };

function errorAnswers(errors: readonly GraphQLErrorBody[] | readonly ErrorAnswer[] | undefined): ErrorAnswer[] | undefined {
  return errors?.map(({ message, path, extensions }) => ({ message, path, extensions }));
}

type Snapshot = Awaited<ReturnType<typeof snapshotDatabase>>;

/** A prepared attack. */
interface Scene {
  /** Runs the attack and reports what the attacker saw. */
  attack: () => Promise<Outcome>;
  /** The database the attack must leave, given the one before it; default: exactly the one before. */
  database?: (before: Snapshot) => Promise<Snapshot>;
  /** Checks beyond the answer and the database. */
  also?: () => void | Promise<void>;
}

/** One row of the table. */
interface AttackRow {
  name: string;
  /** The server configuration to attack; default `default`. */
  environment?: Environment;
  /** Sets the scene; the database snapshot is taken after this and before the attack. */
  arrange: (t: TestServer) => Promise<Scene>;
  /** The exact answer. */
  answer: Outcome;
}

// ---------------------------------------------------------------------------------------------
// Transports

/**
 * A request over HTTP with `token` as the bearer token. Attacks pair documents with whatever
 * variables they like, so the document goes as a plain string.
 */
async function overHttp(t: TestServer, token: string | undefined, query: AnyOperation, variables?: Record<string, unknown>): Promise<Outcome> {
  const res = await t.client().withToken(token).request(String(query), variables);
  return { over: 'http', status: res.status, data: res.data ?? null, errors: errorAnswers(res.errors) };
}

/** POSTs a raw body with `token` as the bearer token. */
async function postRaw(t: TestServer, token: string, body: string): Promise<Outcome> {
  const res = await fetch(t.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const parsed = (await res.json()) as { data?: unknown; errors?: GraphQLErrorBody[] };
  return { over: 'http', status: res.status, data: parsed.data ?? null, errors: errorAnswers(parsed.errors) };
}

/**
 * A raw `graphql-transport-ws` socket that sends `messages` once open and reports how the server
 * closed it: 'still open' once acknowledged with `untilAcknowledged`, otherwise after 5 s (when
 * it should have been closed and was not). The socket is dropped afterwards.
 */
async function rawSocketOutcome(
  t: TestServer,
  messages: (received: string[]) => AsyncGenerator<string, void, void>,
  options: { untilAcknowledged?: boolean } = {},
): Promise<Outcome> {
  const socket = new WebSocket(wsUrl(t.origin), 'graphql-transport-ws');
  const received: string[] = [];
  socket.on('message', (data) => received.push((JSON.parse(data.toString()) as { type: string }).type));
  socket.on('error', () => {});
  const closed = new Promise<CloseInfo>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  try {
    for await (const message of messages(received)) socket.send(message);
    const stillOpen = options.untilAcknowledged
      ? eventually(() => received.includes('connection_ack'), 5_000, 'connection_ack').then(() => 'still open' as const)
      : new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 5_000).unref());
    stillOpen.catch(() => {});
    const close = await Promise.race([closed, stillOpen]);
    return { over: 'socket', close, received: [...received] };
  } finally {
    socket.terminate();
  }
}

/** Opens a socket presenting `token` in `connection_init` and reports how it was answered. */
function connectWith(t: TestServer, token: string, options: { untilAcknowledged?: boolean } = {}): Promise<Outcome> {
  return rawSocketOutcome(
    t,
    async function* () {
      yield JSON.stringify({ type: 'connection_init', payload: { token } });
    },
    options,
  );
}

/**
 * The intruder of each server: a student with one socket, open for the whole file (its close
 * would write `last_seen_at`, a change between some other row's snapshots).
 */
const intruders = new Map<TestServer, Promise<{ student: Student; ws: WsTestClient }>>();
function intruderOf(t: TestServer): Promise<{ student: Student; ws: WsTestClient }> {
  let intruder = intruders.get(t);
  if (!intruder) {
    intruder = (async () => {
      const student = await signUpStudent(t.client());
      const ws = connectWs(wsUrl(t.origin), { connectionParams: { token: student.accessToken } });
      await ws.connected;
      return { student, ws };
    })();
    intruders.set(t, intruder);
  }
  return intruder;
}

/** Runs one operation over the intruder's socket, then checks that the socket still serves `me`. */
async function overIntruderSocket(t: TestServer, query: AnyOperation, variables: Record<string, unknown>): Promise<Outcome> {
  const { student, ws } = await intruderOf(t);
  const op = collect(ws.client, String(query), variables);
  let error: ErrorAnswer[] | undefined;
  await op.done.catch((err: unknown) => {
    error = Array.isArray(err) ? errorAnswers(err as ErrorAnswer[]) : [{ message: String(err) }];
  });
  const results = op.results.map((r) => ({ data: r.data ?? null, errors: errorAnswers(r.errors as ErrorAnswer[] | undefined) }));

  const probe = collect(ws.client, ME);
  await probe.done.catch(() => {});
  const usable = ws.closes.length === 0 && probe.results[0]?.data?.me.id === student.userId;
  const socket = usable ? ('open' as const) : (ws.closes[0] ?? { code: 0, reason: 'unusable' });
  return { over: 'ws', results, ...(error && { error }), socket };
}

// ---------------------------------------------------------------------------------------------
// Tokens

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWS in compact form; `signature` signs the `header.payload` input (or returns '' for none). */
function jws(header: Record<string, unknown>, payload: Record<string, unknown>, signature: (input: string) => string): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${signature(input)}`;
}
const hs256 = (secret: string | Buffer) => (input: string) => createHmac('sha256', secret).update(input).digest('base64url');
const rs256 = (key: KeyObject) => (input: string) => sign('sha256', Buffer.from(input), key).toString('base64url');
const noSignature = () => '';

/** The header the server puts on its access tokens. */
const SERVER_HEADER = { alg: 'HS256', typ: 'at+jwt' } as const;

/** The log-in (refresh-token family) of a freshly signed-up student. */
async function familyOf(t: TestServer, userId: string): Promise<string> {
  const row = await t.db.handle.db.selectFrom('refresh_token_families').select('id').where('user_id', '=', userId).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Claims exactly as the server issues them for a new student (its `sub`, its log-in's `sid`,
 * the configured `iss`/`aud`, `exp` one TTL from now), with `changes` applied; a change to
 * `undefined` leaves the claim out.
 */
async function claimsOfNewStudent(t: TestServer, changes: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const student = await signUpStudent(t.client());
  const iat = Math.floor(t.clock.now().getTime() / 1000);
  return {
    sub: student.userId,
    sid: await familyOf(t, student.userId),
    iss: t.config.JWT_ISSUER,
    aud: t.config.JWT_AUDIENCE,
    iat,
    exp: iat + t.config.ACCESS_TOKEN_TTL_SECONDS,
    jti: randomUUID(),
    ...changes,
  };
}

/**
 * Claims of a user of the external identity provider (a subject never seen before), with
 * `changes` applied: what the attacker would like the provider to have signed. With
 * auto-provisioning on, a token accepted by mistake would create its user.
 */
function externalClaims(t: TestServer, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(t.clock.now().getTime() / 1000);
  return { sub: `attacker|${randomUUID()}`, iss: IDP_ISSUER, aud: IDP_AUDIENCE, iat, exp: iat + 300, jti: randomUUID(), ...changes };
}

/** The claims an attack forges on `environment`: of a real student, or of an external user. */
function claimsFor(environment: Environment) {
  return (t: TestServer, changes: Record<string, unknown> = {}) =>
    environment === 'externalIdp' ? Promise.resolve(externalClaims(t, changes)) : claimsOfNewStudent(t, changes);
}

/** Seconds since the epoch on the server's clock, plus `offset`. */
const serverSeconds = (t: TestServer, offset = 0) => Math.floor(t.clock.now().getTime() / 1000) + offset;

/** A presented token and what the server must make of it. */
interface TokenCase {
  name: string;
  /** Why the server refuses it; 'accepted' for the boundary cases it must let through. */
  verdict: Rejection | 'accepted';
  /** The configurations to try it on; default only `default`. */
  environments?: Environment[];
  /** Builds the token (and whatever must exist for it); runs before the snapshot. */
  token: (t: TestServer, environment: Environment) => Promise<string>;
  also?: () => void;
}

/** Signed with the real secret, otherwise exactly as the server issues its tokens, but for `changes`. */
const withServerSecret = (changes: Record<string, unknown> | ((t: TestServer) => Record<string, unknown>), header: Record<string, unknown> = SERVER_HEADER) =>
  async (t: TestServer) =>
    jws(header, await claimsOfNewStudent(t, typeof changes === 'function' ? changes(t) : changes), hs256(t.config.JWT_SECRET));

const BOTH: Environment[] = ['default', 'externalIdp'];

const tokenCases: TokenCase[] = [
  ...['none', 'None', 'NONE'].map(
    (alg): TokenCase => ({
      name: `alg "${alg}" with no signature`,
      verdict: 'invalid',
      environments: BOTH,
      token: async (t, env) => jws({ alg, typ: 'at+jwt' }, await claimsFor(env)(t), noSignature),
    }),
  ),
  {
    name: 'alg HS256 with an empty signature',
    verdict: 'invalid',
    token: async (t) => jws(SERVER_HEADER, await claimsOfNewStudent(t), noSignature),
  },
  {
    name: 'HS512 signed with the real secret (only HS256 is accepted)',
    verdict: 'invalid',
    token: async (t) =>
      jws({ alg: 'HS512', typ: 'at+jwt' }, await claimsOfNewStudent(t), (input) =>
        createHmac('sha512', t.config.JWT_SECRET).update(input).digest('base64url'),
      ),
  },
  {
    name: 'HS256 signed with an RSA public key PEM as the HMAC secret (the server has no RSA key)',
    verdict: 'invalid',
    token: async (t) => jws(SERVER_HEADER, await claimsOfNewStudent(t), hs256(IDP_PUBLIC_PEM)),
  },
  {
    name: "HS256 signed with the identity provider's own public key PEM as the HMAC secret (algorithm confusion)",
    verdict: 'invalid',
    environments: ['externalIdp'],
    token: async (t) => jws({ alg: 'HS256', typ: 'at+jwt' }, externalClaims(t), hs256(IDP_PUBLIC_PEM)),
  },
  {
    name: "RS256 signed with the attacker's key (no key hints)",
    verdict: 'invalid',
    environments: BOTH,
    token: async (t, env) => jws({ alg: 'RS256', typ: 'at+jwt' }, await claimsFor(env)(t), rs256(attackerKeys.privateKey)),
  },
  {
    name: "an embedded jwk header with the attacker's key, signed with it (RS256)",
    verdict: 'invalid',
    environments: BOTH,
    token: async (t, env) =>
      jws({ alg: 'RS256', typ: 'at+jwt', jwk: ATTACKER_JWK }, await claimsFor(env)(t), rs256(attackerKeys.privateKey)),
  },
  {
    name: 'a kid with a path traversal to /dev/null, HS256 signed with an empty key',
    verdict: 'invalid',
    token: async (t) => jws({ ...SERVER_HEADER, kid: '../../../../dev/null' }, await claimsOfNewStudent(t), hs256('')),
  },
  {
    name: "a kid with SQL (' OR '1'='1), HS256 signed with an empty key",
    verdict: 'invalid',
    token: async (t) => jws({ ...SERVER_HEADER, kid: "' OR '1'='1" }, await claimsOfNewStudent(t), hs256('')),
  },
  {
    name: "a kid with a path traversal and SQL, RS256 signed with the attacker's key",
    verdict: 'invalid',
    environments: ['externalIdp'],
    token: async (t) =>
      jws({ alg: 'RS256', typ: 'at+jwt', kid: "../../../../dev/null' OR '1'='1" }, externalClaims(t), rs256(attackerKeys.privateKey)),
  },
  {
    name: "a jku header pointing to the attacker's key server (RS256 with the attacker's key)",
    verdict: 'invalid',
    environments: BOTH,
    token: async (t, env) =>
      jws(
        { alg: 'RS256', typ: 'at+jwt', kid: ATTACKER_JWK.kid, jku: `${keyServerUrl}/jwks.json` },
        await claimsFor(env)(t),
        rs256(attackerKeys.privateKey),
      ),
    also: () => expect(keyServerRequests).toEqual([]),
  },
  {
    name: "an x5u header pointing to the attacker's key server (RS256 with the attacker's key)",
    verdict: 'invalid',
    environments: BOTH,
    token: async (t, env) =>
      jws({ alg: 'RS256', typ: 'at+jwt', x5u: `${keyServerUrl}/cert.pem` }, await claimsFor(env)(t), rs256(attackerKeys.privateKey)),
    also: () => expect(keyServerRequests).toEqual([]),
  },
  { name: 'no exp (signed with the real secret)', verdict: 'invalid', token: withServerSecret({ exp: undefined }) },
  {
    name: 'nbf ten minutes in the future (signed with the real secret)',
    verdict: 'invalid',
    token: withServerSecret((t) => ({ nbf: serverSeconds(t, 600) })),
  },
  {
    name: 'exp ten minutes ago, far beyond the clock tolerance (signed with the real secret)',
    verdict: 'expired',
    token: withServerSecret((t) => ({ iat: serverSeconds(t, -1_500), exp: serverSeconds(t, -600) })),
  },
  {
    name: 'exp 6 s ago, just beyond the 5 s clock tolerance (signed with the real secret)',
    verdict: 'expired',
    token: withServerSecret((t) => ({ iat: serverSeconds(t, -906), exp: serverSeconds(t, -6) })),
  },
  {
    name: 'exp 2 s ago, within the 5 s clock tolerance (signed with the real secret)',
    verdict: 'accepted',
    token: withServerSecret((t) => ({ iat: serverSeconds(t, -902), exp: serverSeconds(t, -2) })),
  },
  { name: 'a wrong iss (signed with the real secret)', verdict: 'invalid', token: withServerSecret({ iss: 'someone-else' }) },
  { name: 'a wrong aud (signed with the real secret)', verdict: 'invalid', token: withServerSecret({ aud: 'another-api' }) },
  {
    name: 'a typ other than at+jwt (signed with the real secret)',
    verdict: 'invalid',
    token: withServerSecret({}, { ...SERVER_HEADER, typ: 'JWT' }),
  },
  {
    name: 'a refresh token presented as the access token',
    verdict: 'malformed',
    token: async (t) => (await signUpStudent(t.client())).refreshToken,
  },
  {
    name: 'a valid token of a deleted user',
    verdict: 'revoked',
    token: async (t) => {
      const student = await signUpStudent(t.client());
      await t.db.handle.db.deleteFrom('users').where('id', '=', student.userId).execute();
      return student.accessToken;
    },
  },
  {
    name: 'a valid token of a disabled user',
    verdict: 'revoked',
    token: async (t) => {
      const student = await signUpStudent(t.client());
      await t.server.services.users.disableUser(student.userId);
      return student.accessToken;
    },
  },
  {
    name: 'a valid token after its log-in logged out',
    verdict: 'revoked',
    token: async (t) => {
      const student = await signUpStudent(t.client());
      await t.client().ok(LOG_OUT, { refreshToken: student.refreshToken });
      return student.accessToken;
    },
  },
];

/** The `sub` of a compact JWS. */
const subjectOf = (token: string) => String((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub?: unknown }).sub);

/**
 * A refused token over HTTP (a query and a mutation) and at the socket's `connection_init`; an
 * accepted one over HTTP (a query whose answer is the same for every new student) and at
 * `connection_init` (acknowledged; the socket is then dropped, which records `last_seen_at`).
 */
const tokenRows: AttackRow[] = tokenCases.flatMap(({ name, verdict, environments: where = ['default'], token, also }) =>
  where.flatMap((environment): AttackRow[] => {
    const on = where.length > 1 ? ` [${environment}]` : environment === 'default' ? '' : ` [${environment}]`;
    const scene = (attack: (t: TestServer, presented: string) => Promise<Outcome>, database?: (t: TestServer, presented: string) => Scene['database']) =>
      async (t: TestServer): Promise<Scene> => {
        const presented = await token(t, environment);
        return { attack: () => attack(t, presented), ...(database && { database: database(t, presented) }), ...(also && { also }) };
      };
    if (verdict === 'accepted') {
      return [
        {
          name: `subjects over HTTP with ${name}: answered${on}`,
          environment,
          arrange: scene((t, presented) => overHttp(t, presented, SUBJECTS)),
          answer: { over: 'http', status: 200, data: { subjects: [] }, errors: undefined },
        },
        {
          name: `connection_init with ${name}: acknowledged${on}`,
          environment,
          arrange: scene(
            (t, presented) => connectWith(t, presented, { untilAcknowledged: true }),
            (t, presented) => (before) => lastSeenRecorded(t, before, subjectOf(presented)),
          ),
          answer: { over: 'socket', close: 'still open', received: ['connection_ack'] },
        },
      ];
    }
    const refused = (field: string): Outcome => ({
      over: 'http',
      status: 200,
      data: null,
      errors: [{ message: REJECTION_MESSAGES[verdict], path: [field], extensions: { code: 'UNAUTHENTICATED', reason: verdict } }],
    });
    return [
      {
        name: `me over HTTP with ${name}: UNAUTHENTICATED (${verdict})${on}`,
        environment,
        arrange: scene((t, presented) => overHttp(t, presented, ME)),
        answer: refused('me'),
      },
      {
        name: `createSubject over HTTP with ${name}: UNAUTHENTICATED (${verdict}), nothing created${on}`,
        environment,
        arrange: scene((t, presented) => overHttp(t, presented, CREATE_SUBJECT, { name: 'Smuggled' })),
        answer: refused('createSubject'),
      },
      {
        name: `connection_init with ${name}: 4403 "${ForbiddenReasons[verdict]}" before any acknowledgement${on}`,
        environment,
        arrange: scene((t, presented) => connectWith(t, presented)),
        answer: { over: 'socket', close: { code: 4403, reason: ForbiddenReasons[verdict] }, received: [] },
      },
    ];
  }),
);

/**
 * The database after an authenticated socket of `userId` was lost: the same but for the
 * student's `last_seen_at`, now the instant it went (the clock is frozen: now). Waits for the
 * write, and for the disconnect pause (nothing to pause) to be done.
 */
async function lastSeenRecorded(t: TestServer, before: Snapshot, userId: string): Promise<Snapshot> {
  const lostAt = t.clock.now();
  await eventually(async () => {
    const row = await t.db.handle.db.selectFrom('users').select('last_seen_at').where('id', '=', userId).executeTakeFirst();
    return row?.last_seen_at?.getTime() === lostAt.getTime();
  }, 5_000, 'the lost socket to be recorded');
  await eventually(() => t.server.stats().pendingDisconnectPauses === 0, 5_000, 'the disconnect pause');
  return { ...before, users: before.users.map((u) => (u.id === userId ? { ...u, last_seen_at: lostAt } : u)) };
}

// ---------------------------------------------------------------------------------------------
// Ownership

/** Another student's session in a state from which its owner could make the transition. */
async function foreignSession(t: TestServer, status: 'RUNNING' | 'PAUSED'): Promise<string> {
  const owner = await signUpStudent(t.client());
  const subjectId = await createSubject(owner);
  const { startSession } = await owner.client.ok(START_SESSION, { input: { subjectId, type: 'POMODORO', focusMinutes: 25 } });
  if (status === 'PAUSED') await owner.client.ok(PAUSE_SESSION, { id: startSession.id });
  return startSession.id;
}

async function foreignSubject(t: TestServer): Promise<string> {
  const owner = await signUpStudent(t.client());
  const subjectId = await createSubject(owner);
  // The owner is studying it right now, so the subject is as "live" as it gets.
  await owner.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
  return subjectId;
}

/** One operation on someone else's session or subject, and what it must answer. */
interface OwnershipCase {
  operation: string;
  document: AnyOperation;
  /** What the id names: another student's session (in this state) or subject. */
  target: 'RUNNING session' | 'PAUSED session' | 'subject';
  variables: (id: string) => Record<string, unknown>;
  /** The answer over HTTP (status and body). */
  http: { status: number; data: unknown; errors: ErrorAnswer[] | undefined };
  /** The `next` results over the socket (the socket must stay open). */
  ws: { data: unknown; errors: ErrorAnswer[] | undefined }[];
  /** The protocol `error` message over the socket, for an operation refused as a whole. */
  wsError?: ErrorAnswer[];
}

const notFound = (field: string, message: string): ErrorAnswer[] => [{ message, path: [field], extensions: { code: 'NOT_FOUND' } }];
const sessionCase = (operation: string, document: SessionIdDocument, target: 'RUNNING session' | 'PAUSED session', nullable = false): OwnershipCase => {
  // A nullable field leaves `data.<field>` null; an error in a non-null mutation field nulls `data`.
  const data = nullable ? { [operation]: null } : null;
  const errors = notFound(operation, SESSION_NOT_FOUND);
  return { operation, document, target, variables: (id) => ({ id }), http: { status: 200, data, errors }, ws: [{ data, errors }] };
};

const ownershipCases: OwnershipCase[] = [
  sessionCase('session', SESSION, 'RUNNING session', true),
  sessionCase('session', SESSION, 'PAUSED session', true),
  sessionCase('pauseSession', PAUSE_SESSION, 'RUNNING session'),
  sessionCase('resumeSession', RESUME_SESSION, 'PAUSED session'),
  sessionCase('stopSession', STOP_SESSION, 'RUNNING session'),
  sessionCase('stopSession', STOP_SESSION, 'PAUSED session'),
  {
    operation: 'startSession',
    document: START_SESSION,
    target: 'subject',
    variables: (subjectId) => ({ input: { subjectId, type: 'POMODORO', focusMinutes: 25 } }),
    http: { status: 200, data: null, errors: notFound('startSession', SUBJECT_NOT_FOUND) },
    ws: [{ data: null, errors: notFound('startSession', SUBJECT_NOT_FOUND) }],
  },
  {
    // A filter, not a lookup: the contract (schema, ownership.test.ts) is an empty page, the
    // same for a foreign subject as for a missing one.
    operation: 'sessions(subjectId)',
    document: SESSIONS,
    target: 'subject',
    variables: (subjectId) => ({ subjectId }),
    http: { status: 200, data: { sessions: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } }, errors: undefined },
    ws: [{ data: { sessions: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } }, errors: undefined }],
  },
  {
    operation: 'timerUpdated',
    document: TIMER_UPDATED,
    target: 'RUNNING session',
    variables: (id) => ({ id }),
    // Subscriptions are refused over HTTP before anything is looked up.
    http: { status: 400, data: null, errors: [{ message: SUBSCRIPTION_OVER_HTTP, extensions: { code: 'BAD_REQUEST' } }] },
    // A subscription refused at its start gets an `error` message, never a `next`.
    ws: [],
    wsError: notFound('timerUpdated', SESSION_NOT_FOUND),
  },
];

/**
 * Each case on a foreign id and on a missing one (the two answers must be the same), over HTTP
 * and over the intruder's open socket (which must stay open).
 */
const ownershipRows: AttackRow[] = ownershipCases.flatMap((c, index): AttackRow[] => {
  const target = async (t: TestServer, whose: 'foreign' | 'missing') => {
    if (whose === 'missing') return randomUUID();
    return c.target === 'subject' ? foreignSubject(t) : foreignSession(t, c.target === 'RUNNING session' ? 'RUNNING' : 'PAUSED');
  };
  // The missing-id rows once per operation (a missing session has no state).
  const missingAlreadyListed = ownershipCases.slice(0, index).some((earlier) => earlier.operation === c.operation);
  return (missingAlreadyListed ? (['foreign'] as const) : (['foreign', 'missing'] as const)).flatMap((whose): AttackRow[] => {
    const what = whose === 'foreign' ? `another student's ${c.target}` : `a missing ${c.target.split(' ').at(-1)}`;
    return [
      {
        name: `${c.operation} over HTTP on ${what}`,
        arrange: async (t) => {
          const id = await target(t, whose);
          const { student } = await intruderOf(t);
          return { attack: () => overHttp(t, student.accessToken, c.document, c.variables(id)) };
        },
        answer: { over: 'http', ...c.http },
      },
      {
        name: `${c.operation} over the socket on ${what}, which stays open`,
        arrange: async (t) => {
          const id = await target(t, whose);
          await intruderOf(t);
          return { attack: () => overIntruderSocket(t, c.document, c.variables(id)) };
        },
        answer: { over: 'ws', results: c.ws, ...(c.wsError && { error: c.wsError }), socket: 'open' },
      },
    ];
  });
});

// ---------------------------------------------------------------------------------------------
// Size

const OVER_64_KIB = 'x'.repeat(70 * 1024);

const sizeRows: AttackRow[] = [
  {
    name: 'a connection_init over 64 KiB (a huge token): 1009 before any acknowledgement',
    arrange: async (t) => ({
      attack: () =>
        rawSocketOutcome(t, async function* () {
          yield JSON.stringify({ type: 'connection_init', payload: { token: OVER_64_KIB } });
        }),
    }),
    answer: { over: 'socket', close: { code: 1009, reason: '' }, received: [] },
  },
  {
    name: 'a subscribe over 64 KiB on an acknowledged socket: 1009, the mutation never runs',
    arrange: async (t) => {
      const student = await signUpStudent(t.client());
      return {
        attack: () =>
          rawSocketOutcome(t, async function* (received) {
            yield JSON.stringify({ type: 'connection_init', payload: { token: student.accessToken } });
            await eventually(() => received.includes('connection_ack'), 5_000, 'connection_ack');
            yield JSON.stringify({ id: '1', type: 'subscribe', payload: { query: String(CREATE_SUBJECT), variables: { name: OVER_64_KIB } } });
          }),
        // The one change: the lost socket is recorded as the student's last-seen instant.
        database: (before) => lastSeenRecorded(t, before, student.userId),
      };
    },
    answer: { over: 'socket', close: { code: 1009, reason: '' }, received: ['connection_ack'] },
  },
  {
    name: 'a createSubject body over 100 kB with a valid token: 413 BAD_REQUEST, nothing created',
    arrange: async (t) => {
      const student = await signUpStudent(t.client());
      const body = JSON.stringify({ query: String(CREATE_SUBJECT), variables: { name: 'Padded' }, extensions: { padding: 'x'.repeat(101 * 1024) } });
      return { attack: () => postRaw(t, student.accessToken, body) };
    },
    answer: { over: 'http', status: 413, data: null, errors: [{ message: 'Request body exceeds 100kb', extensions: { code: 'BAD_REQUEST' } }] },
  },
];

// ---------------------------------------------------------------------------------------------
// The table

const attacks: AttackRow[] = [...tokenRows, ...ownershipRows, ...sizeRows];

describe('controls (what the attacks below are measured against)', () => {
  it('accepts a token forged exactly as the server issues them, over HTTP and at connection_init', async () => {
    const t = await serverFor('default');
    const claims = await claimsOfNewStudent(t);
    const token = jws(SERVER_HEADER, claims, hs256(t.config.JWT_SECRET));

    const res = await t.client().withToken(token).request(ME);
    expect({ errors: res.errors, id: res.data?.me.id }).toEqual({ errors: undefined, id: claims.sub });

    const ws = connectWs(wsUrl(t.origin), { connectionParams: { token } });
    try {
      // (expiresAt is covered by ws-auth.test.ts; here only whom the socket was accepted for matters.)
      expect(await ws.connected).toMatchObject({ userId: claims.sub });
    } finally {
      await ws.dispose();
      // Its close is written as last_seen_at; let that land before any snapshot is taken.
      await eventually(async () => {
        const row = await t.db.handle.db.selectFrom('users').select('last_seen_at').where('id', '=', String(claims.sub)).executeTakeFirst();
        return row?.last_seen_at != null;
      }, 5_000, 'the control socket to be recorded as gone');
    }
  });

  it('accepts a token the identity provider signed on the externalIdp server, creating its user', async () => {
    const t = await serverFor('externalIdp');
    const claims = externalClaims(t);
    const token = jws({ alg: 'RS256', typ: 'at+jwt' }, claims, rs256(idpKeys.privateKey));
    const users = (await snapshotDatabase(t.db.handle.db)).users.length;

    const res = await t.client().withToken(token).request(ME);

    expect(res.errors).toBeUndefined();
    const { users: after } = await snapshotDatabase(t.db.handle.db);
    expect(after).toHaveLength(users + 1);
    expect(after.map((u) => u.id)).toContain(res.data?.me.id);
  });

  it("lets the owner do each operation the intruder is refused (the refusals are ownership's alone)", async () => {
    const t = await serverFor('default');
    const owner = await signUpStudent(t.client());
    const subjectId = await createSubject(owner);
    const started = await owner.client.ok(START_SESSION, { input: { subjectId, type: 'FREE' } });
    const id = started.startSession.id;
    const documents: SessionIdDocument[] = [SESSION, PAUSE_SESSION, RESUME_SESSION, STOP_SESSION];
    for (const document of documents) {
      expect((await owner.client.request(document, { id })).errors).toBeUndefined();
    }
    const page = await owner.client.ok(SESSIONS, { subjectId });
    expect(page.sessions.edges.map((e) => e.node.id)).toEqual([id]);
  });
});

describe('attacks', () => {
  it.each(attacks)('$name', async (row) => {
    const t = await serverFor(row.environment ?? 'default');
    const scene = await row.arrange(t);
    const before = await snapshotDatabase(t.db.handle.db);

    const outcome = await scene.attack();

    expect(outcome).toEqual(row.answer);
    const expected = scene.database ? await scene.database(before) : before;
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(expected);
    await scene.also?.();
  });
});
