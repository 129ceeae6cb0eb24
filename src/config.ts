import { createPublicKey, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const seconds = (min: number, max: number) => z.coerce.number().min(min).max(max);
/** A PEM SPKI public key; `\n` escapes (one-line environment values) are read as newlines. */
const publicKeyPem = z
  .string()
  .min(1)
  .transform((v) => v.replace(/\\n/g, '\n'))
  .refine((pem) => {
    if (!pem.startsWith('-----BEGIN PUBLIC KEY-----')) return false;
    try {
      return createPublicKey(pem).type === 'public';
    } catch {
      return false;
    }
  }, 'must be a PEM public key (SPKI, "-----BEGIN PUBLIC KEY-----")');
/** A worker count: a whole number from 1, or `auto` for as many as the machine runs in parallel. */
const workerCount = z
  .string()
  .regex(/^(auto|[1-9][0-9]*)$/, 'must be a whole number from 1, or "auto"')
  .transform((v) => (v === 'auto' ? availableParallelism() : Number(v)))
  .pipe(z.number().max(256));
const csv = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0));

/**
 * Every environment variable studyclock reads, with its default and meaning. `loadConfig` parses
 * them all at once; the README's configuration table lists exactly these names (a test checks).
 */
export const configVariables = {
  NODE_ENV: {
    schema: z.enum(['development', 'production', 'test']).default('development'),
    doc: '`production` requires `JWT_SECRET` and hides development conveniences.',
  },
  HOST: { schema: z.string().min(1).default('0.0.0.0'), doc: 'Interface the HTTP server binds to.' },
  PORT: { schema: int(0, 65535).default(4000), doc: 'Port for HTTP and WebSocket, both on `/graphql`.' },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'pino log level; logs are JSON lines on stdout.',
  },
  DATABASE_URL: {
    schema: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    doc: 'PostgreSQL connection string. Unset: run on the embedded PostgreSQL (PGlite).',
  },
  DATABASE_POOL_MAX: { schema: int(1, 200).default(10), doc: 'Maximum connections in the `pg` pool.' },
  EMBEDDED_DB_DIR: {
    schema: z.string().min(1).default('./data'),
    doc: 'Where the embedded database keeps its files when `DATABASE_URL` is unset; `memory://` keeps it in memory only.',
  },
  JWT_SECRET: {
    schema: z.string().min(32, 'must be at least 32 bytes').optional(),
    doc: 'HS256 signing secret, at least 32 bytes. Required in production. Unset otherwise, with the embedded database on a directory: one made at the first start and kept in `EMBEDDED_DB_DIR/jwt-secret` (mode 0600); with `DATABASE_URL` or `memory://`: a random one per process (tokens die with it).',
  },
  JWT_ISSUER: { schema: z.string().min(1).default('studyclock'), doc: '`iss` of issued access tokens, required on verify.' },
  JWT_AUDIENCE: {
    schema: z.string().min(1).default('studyclock-api'),
    doc: '`aud` of issued access tokens, required on verify.',
  },
  ACCESS_TOKEN_TTL_SECONDS: { schema: int(2, 86_400).default(900), doc: 'Lifetime of an access token.' },
  REFRESH_TOKEN_TTL_SECONDS: {
    schema: int(60, 31_536_000).default(2_592_000),
    doc: 'Lifetime of a refresh token (each use rotates it).',
  },
  COOKIE_SECURE: {
    schema: bool.default(true),
    doc: 'Mark auth cookies `Secure`. Browsers accept Secure cookies from `http://localhost`; turn off only for plain-HTTP hosts in development.',
  },
  COOKIE_SAME_SITE: {
    schema: z.enum(['strict', 'lax', 'none']).default('strict'),
    doc: '`SameSite` attribute of auth cookies.',
  },
  ALLOWED_ORIGINS: {
    schema: csv.default([]),
    doc: 'Comma-separated exact origins allowed by CORS (with credentials). Empty: no cross-origin browser access.',
  },
  PASSWORD_SCRYPT_LOG_N: {
    schema: int(14, 20).default(17),
    doc: 'scrypt cost as log2(N) (r=8, p=1) for new password hashes; 17 is OWASP\'s recommendation. Existing hashes keep their own cost.',
  },
  COMPLETION_SWEEP_SECONDS: {
    schema: int(1, 3600).default(1),
    doc: 'How often running POMODORO and BREAK sessions whose time is up are marked COMPLETED when nobody is reading them.',
  },
  TICK_INTERVAL_MS: {
    schema: int(50, 60_000).default(1000),
    doc: 'Period of `timerUpdated` ticks while a session runs; each session ticks on its own phase.',
  },
  TICK_BATCH_MS: {
    schema: int(0, 100).default(10),
    doc: 'Ticks due within the same slot of this many ms are sent together at its end, so at most this much after the second they show: one wake-up per slot instead of one per session. 0 sends each tick at its own instant.',
  },
  DISCONNECT_GRACE_SECONDS: {
    schema: seconds(0, 3600).default(15),
    doc: 'How long a student may have no WebSocket before their RUNNING session is paused (reason DISCONNECT), counted to the instant the last one was lost.',
  },
  LAST_SEEN_HEARTBEAT_SECONDS: {
    schema: seconds(0.1, 300).default(15),
    doc: 'How often connected students\' `last_seen_at` is written, so sessions left running by a crash are paused at start-up.',
  },
  WS_KEEPALIVE_SECONDS: {
    schema: seconds(0, 300).default(12),
    doc: 'Ping period on WebSockets; a socket that misses a pong for as long is terminated. 0 disables.',
  },
  WS_MAX_PAYLOAD_BYTES: {
    schema: int(1024, 10 * 1024 * 1024).default(65_536),
    doc: 'Largest WebSocket message accepted; a larger one closes the socket with 1009.',
  },
  WS_MAX_OPERATIONS: {
    schema: int(1, 10_000).default(100),
    doc: 'Operations (subscriptions included) one socket may have in flight; beyond it an operation gets TOO_MANY_OPERATIONS.',
  },
  WS_ALLOW_QUERY_TOKEN: {
    schema: bool.default(false),
    doc: 'Accept the access token from a `token` query parameter of the WebSocket URL. Off: URLs end up in logs.',
  },
  JWT_JWKS_URL: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    doc: 'JWKS of an external identity provider (Auth0, Keycloak, Cognito, Entra…); its access tokens are accepted besides the built-in ones. Keys are cached and refetched on an unknown `kid`, at most once per `JWT_JWKS_COOLDOWN_SECONDS`.',
  },
  JWT_PUBLIC_KEY: {
    schema: publicKeyPem.optional(),
    doc: 'PEM public key (SPKI) of an external identity provider, instead of `JWT_JWKS_URL`.',
  },
  JWT_EXTERNAL_ISSUER: { schema: z.string().min(1).optional(), doc: 'Required `iss` of external tokens (required with a JWKS URL or public key).' },
  JWT_EXTERNAL_AUDIENCE: { schema: z.string().min(1).optional(), doc: 'Required `aud` of external tokens (required with a JWKS URL or public key).' },
  JWT_EXTERNAL_ALGORITHMS: {
    schema: csv.pipe(z.array(z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']))).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
    doc: 'Algorithms accepted for external tokens (each key is pinned to its own).',
  },
  JWT_CLOCK_TOLERANCE_SECONDS: { schema: int(0, 300).default(5), doc: 'Clock skew tolerated on `exp`/`nbf` of every access token, built-in or external.' },
  JWT_JWKS_COOLDOWN_SECONDS: { schema: int(1, 3600).default(30), doc: 'Least time between two JWKS fetches.' },
  EXTERNAL_USERS_AUTO_PROVISION: {
    schema: bool.default(false),
    doc: 'Create a user on first sight of an unknown (issuer, subject); off: such tokens are refused.',
  },
  REDIS_URL: {
    schema: z.url({ protocol: /^rediss?$/ }).optional(),
    doc: 'Redis for rate-limit counters shared by instances (keys under `REDIS_KEY_PREFIX`) and, with `DATABASE_URL`, the cluster\'s change stream (cluster mode); unset: counters in memory, one instance. While Redis is unreachable each instance counts in memory.',
  },
  REDIS_KEY_PREFIX: {
    schema: z.string().min(1).max(100).default('studyclock:'),
    doc: 'Prefix of every key in Redis: rate limits and the cluster stream `PREFIX` + `events` (several deployments may share one Redis).',
  },
  INSTANCE_ID: {
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores').optional(),
    doc: 'Names this instance in the cluster (logs, metrics, the stream). Default: random per process. Requires `DATABASE_URL` (the embedded database is single-process).',
  },
  WORKERS: {
    schema: workerCount.default(1),
    doc: 'Cluster members this process runs behind its one `PORT` (`node:cluster`): the primary forks them, restarts one that dies (back-off from 1 s to 30 s) and forwards SIGTERM/SIGINT. `auto`: `os.availableParallelism()`. Above 1: requires `DATABASE_URL` and `REDIS_URL` (the workers form a cluster), refuses `METRICS_PORT`; worker k is `INSTANCE_ID-wk` (default `hostname-pid-wk`).',
  },
  CLUSTER_RECONCILE_SECONDS: {
    schema: seconds(0.1, 300).default(10),
    doc: 'In cluster mode (`DATABASE_URL` and `REDIS_URL` both set), how often each instance re-reads the sessions its subscribers watch, so that a change whose stream entry was lost reaches them within this period.',
  },
  CLUSTER_HEARTBEAT_SECONDS: {
    schema: seconds(0.1, 60).default(5),
    doc: 'In cluster mode, how often each instance writes its heartbeat to PostgreSQL. An instance whose heartbeat is three periods old is dead: the others retire its sockets (its students are paused at its last heartbeat unless they reconnect within `DISCONNECT_GRACE_SECONDS`); one that cannot write it for one and a half periods closes its sockets with 1013.',
  },
  WS_CONNECTIONS_PER_IP_PER_MINUTE: { schema: int(1, 100_000).default(60), doc: 'WebSocket upgrades one address may attempt per minute (429 with `Retry-After` beyond).' },
  WS_MAX_SOCKETS_PER_IP: { schema: int(1, 100_000).default(50), doc: 'Open WebSockets per address on one instance (429 beyond).' },
  WS_MAX_SOCKETS_PER_STUDENT: { schema: int(1, 10_000).default(10), doc: 'Open WebSockets per student (on all instances together in cluster mode): 429 at the upgrade when it carries the token (header, cookie), otherwise closed with 1013 `Too many connections` at `connection_init`.' },
  OPERATIONS_PER_CONNECTION_PER_MINUTE: { schema: int(1, 1_000_000).default(600), doc: 'Operations per WebSocket, or per HTTP client address, per minute (RATE_LIMITED beyond; 429 over HTTP).' },
  OPERATIONS_PER_STUDENT_PER_MINUTE: { schema: int(1, 1_000_000).default(1200), doc: 'Operations per student across connections and transports, per minute (RATE_LIMITED beyond; 429 over HTTP).' },
  LOGIN_FAILURES_PER_EMAIL: { schema: int(1, 1000).default(5), doc: 'Failed log-ins per email within 15 minutes before delays start: then one attempt per delay (1 s, doubling, up to 15 min), RATE_LIMITED in between even with the right password; a successful log-in clears them.' },
  LOGIN_FAILURES_PER_IP: { schema: int(1, 100_000).default(50), doc: 'The same per client address; a successful log-in does not clear these.' },
  TOKEN_FAILURES_PER_IP: { schema: int(1, 100_000).default(100), doc: 'Rejected access tokens per address per minute; once reached, the address gets RATE_LIMITED (429 over HTTP and at the upgrade) until the minute is over.' },
  WS_MAX_BUFFERED_BYTES: { schema: int(1024, 1_073_741_824).default(1_048_576), doc: 'A socket whose unsent data is above this at two checks half a second apart is closed with 1013 `Slow consumer`.' },
  GRAPHQL_MAX_DEPTH: { schema: int(1, 100).default(10), doc: 'Deepest selection allowed in an operation.' },
  GRAPHQL_MAX_ALIASES: { schema: int(0, 1000).default(15), doc: 'Aliases allowed in an operation.' },
  GRAPHQL_MAX_DIRECTIVES: { schema: int(0, 1000).default(10), doc: 'Directives allowed in an operation.' },
  GRAPHQL_MAX_TOKENS: { schema: int(10, 100_000).default(1000), doc: 'Lexical tokens allowed in a document.' },
  GRAPHQL_MAX_COST: { schema: int(1, 10_000_000).default(5000), doc: 'Estimated cost allowed for an operation.' },
  GRAPHQL_INTROSPECTION: {
    schema: bool.optional(),
    doc: 'Allow introspection and field suggestions. Default: on, except with NODE_ENV=production.',
  },
  EXPLORER_ENABLED: {
    schema: bool.optional(),
    doc: 'Serve the GraphQL explorer (Altair, bundled: works with no network) at `/explorer`. Default: on, except with NODE_ENV=production.',
  },
  GRAPHQL_ALLOW_BATCHING: { schema: bool.default(false), doc: 'Accept batched (array) HTTP requests.' },
  TLS_CERT_FILE: { schema: z.string().min(1).optional(), doc: 'PEM certificate: serve HTTPS and WSS directly (with `TLS_KEY_FILE`).' },
  TLS_KEY_FILE: { schema: z.string().min(1).optional(), doc: 'PEM private key for `TLS_CERT_FILE`.' },
  TRUST_PROXY: {
    schema: z.string().min(1).default('false'),
    doc: 'Whose `X-Forwarded-For` counts for the client address (Express `trust proxy`): `false`, a hop count, or comma-separated addresses/subnets.',
  },
  DATABASE_STATEMENT_TIMEOUT_MS: {
    schema: int(100, 600_000).default(5000),
    doc: 'PostgreSQL `statement_timeout` for every query, and `idle_in_transaction_session_timeout`.',
  },
  DATABASE_CONNECT_TIMEOUT_MS: {
    schema: int(100, 60_000).default(3000),
    doc: 'Time allowed to open a database connection, or to wait for a free one when all `DATABASE_POOL_MAX` are busy.',
  },
  SHUTDOWN_TIMEOUT_SECONDS: {
    schema: int(1, 300).default(10),
    doc: 'How long graceful shutdown waits for in-flight requests before closing them.',
  },
  METRICS_TOKEN: {
    schema: z.string().min(1).optional(),
    doc: 'Bearer token `GET /metrics` requires (`Authorization: Bearer …`), wherever it is served; at least 32 characters in production. Unset, and without `METRICS_PORT`: no `/metrics` at all (404).',
  },
  METRICS_PORT: {
    schema: int(0, 65535).optional(),
    doc: 'Serve `GET /metrics` on this port of `METRICS_HOST` (plain HTTP), and not on `PORT`. 0 picks a free port.',
  },
  METRICS_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Interface the `METRICS_PORT` listener binds to.',
  },
} as const;

type Vars = typeof configVariables;
type Parsed = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

/** The validated, frozen configuration. Nothing else in the code reads `process.env`. */
export interface Config extends Omit<Parsed, 'JWT_SECRET'> {
  /**
   * The HS256 secret in use. When `JWT_SECRET` is unset: random for this process, which the server
   * replaces with the one kept beside an embedded database (see `withDevelopmentSecret`).
   */
  readonly JWT_SECRET: string;
  /** True when the secret was generated because `JWT_SECRET` was unset. */
  readonly jwtSecretGenerated: boolean;
}

/** Thrown by {@link loadConfig} with every problem found, one per line. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Parses the environment into a frozen {@link Config}. Reports every invalid variable at once
 * by throwing {@link ConfigError}; empty (or blank) values count as unset.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  // Each variable on its own, so that one invalid value does not hide the rules below.
  const parsed = {} as Record<string, unknown>;
  for (const [name, { schema }] of Object.entries(configVariables)) {
    const raw = env[name]?.trim() === '' ? undefined : env[name]?.trim();
    const result = (schema as z.ZodType).safeParse(raw);
    if (result.success) parsed[name] = result.data;
    else for (const issue of result.error.issues) problems.push(`${name}: ${issue.message}`);
  }
  if (parsed.NODE_ENV === 'production' && !parsed.JWT_SECRET && !problems.some((p) => p.startsWith('JWT_SECRET'))) {
    problems.push('JWT_SECRET: required when NODE_ENV=production');
  }
  const external = parsed.JWT_JWKS_URL !== undefined || parsed.JWT_PUBLIC_KEY !== undefined;
  if (external && (!parsed.JWT_EXTERNAL_ISSUER || !parsed.JWT_EXTERNAL_AUDIENCE)) {
    problems.push('JWT_EXTERNAL_ISSUER, JWT_EXTERNAL_AUDIENCE: both required with JWT_JWKS_URL or JWT_PUBLIC_KEY');
  }
  if (parsed.JWT_JWKS_URL !== undefined && parsed.JWT_PUBLIC_KEY !== undefined) {
    problems.push('JWT_JWKS_URL, JWT_PUBLIC_KEY: set one, not both');
  }
  if ((parsed.TLS_CERT_FILE === undefined) !== (parsed.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE, TLS_KEY_FILE: set both or neither');
  }
  if (parsed.COOKIE_SAME_SITE === 'none' && parsed.COOKIE_SECURE === false) {
    problems.push('COOKIE_SAME_SITE: "none" requires COOKIE_SECURE=true');
  }
  // Scrapers keep the token in a file and send it on every scrape: no reason for a short one.
  if (parsed.NODE_ENV === 'production' && typeof parsed.METRICS_TOKEN === 'string' && parsed.METRICS_TOKEN.length < 32) {
    problems.push('METRICS_TOKEN: must be at least 32 characters when NODE_ENV=production');
  }
  if (parsed.METRICS_PORT !== undefined && parsed.METRICS_PORT !== 0 && parsed.METRICS_PORT === parsed.PORT) {
    problems.push('METRICS_PORT: must differ from PORT');
  }
  if (parsed.INSTANCE_ID !== undefined && parsed.DATABASE_URL === undefined) {
    problems.push('INSTANCE_ID: several instances need a shared PostgreSQL server (DATABASE_URL); the embedded database serves one process');
  }
  // The workers of one process are cluster members: they need what cluster mode needs.
  if (typeof parsed.WORKERS === 'number' && parsed.WORKERS > 1) {
    const n = parsed.WORKERS;
    if (parsed.DATABASE_URL === undefined) {
      problems.push(`WORKERS: ${n} workers need a shared PostgreSQL server (DATABASE_URL); the embedded database serves one process`);
    }
    if (parsed.REDIS_URL === undefined) {
      problems.push(`WORKERS: ${n} workers need REDIS_URL: the changes made on one reach the subscribers of the others through its stream`);
    }
    // node:cluster shares every port a worker listens on: each scrape would answer for one
    // worker picked by the primary, and counters would jump between workers.
    if (parsed.METRICS_PORT !== undefined) {
      problems.push(`METRICS_PORT: not with WORKERS=${n}: the workers would share the port and each scrape would see one of them`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = parsed as Parsed;
  return Object.freeze({
    ...config,
    ALLOWED_ORIGINS: Object.freeze([...config.ALLOWED_ORIGINS]),
    JWT_SECRET: config.JWT_SECRET ?? randomBytes(48).toString('base64url'),
    jwtSecretGenerated: config.JWT_SECRET === undefined,
  }) as Config;
}

/**
 * For command-line entry points: the configuration, or every problem on stderr and exit code 78
 * (EX_CONFIG) without doing anything else.
 */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
