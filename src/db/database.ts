import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { ExternalIdentityTable } from '../auth/external-identity.table.js';
import type { RefreshTokenFamilyTable, RefreshTokenTable } from '../auth/refresh-token.table.js';
import type { InstanceTable, PresencePendingTable, WsConnectionTable } from '../presence/presence.table.js';
import type { StudySessionRunTable } from '../sessions/session-run.table.js';
import type { StudySessionTable } from '../sessions/session.table.js';
import type { SubjectTable } from '../subjects/subject.table.js';
import type { UserTable } from '../users/user.table.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** The whole schema as Kysely sees it, built from each domain's table types. */
export interface Database {
  users: UserTable;
  refresh_token_families: RefreshTokenFamilyTable;
  refresh_tokens: RefreshTokenTable;
  subjects: SubjectTable;
  study_sessions: StudySessionTable;
  study_session_runs: StudySessionRunTable;
  external_identities: ExternalIdentityTable;
  instances: InstanceTable;
  ws_connections: WsConnectionTable;
  presence_pending: PresencePendingTable;
}

/** A connected database and the function that releases it. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  /** `postgres` for a server reached through `pg`, `embedded` for PGlite. */
  readonly kind: 'postgres' | 'embedded';
  /** How its connections are used right now, for monitoring (`/metrics`). */
  poolUsage(): DatabasePoolUsage;
  /** Closes the pool or the embedded instance. Idempotent. */
  close(): Promise<void>;
}

/** How the connections to the database are used at one instant. */
export interface DatabasePoolUsage {
  /** Most connections that may be open: DATABASE_POOL_MAX for `pg`, 1 for the embedded database. */
  max: number;
  /**
   * For `pg`: open connections idle and in use, and queries waiting for one. Undefined for the
   * embedded database: PGlite is one in-process connection, always open, that runs one query at
   * a time and says nothing of what waits for it.
   */
  connections?: { idle: number; busy: number; waiting: number };
}

/** Where to find the database: a server URL, or a directory (or `memory://`) for PGlite. */
export type DatabaseTarget = PostgresTarget | { embeddedDir: string };

/** A PostgreSQL server reached through a `pg` pool, and how long anything may take there. */
export interface PostgresTarget {
  url: string;
  /** Most connections the pool opens. Default 10 (DATABASE_POOL_MAX). */
  poolMax?: number;
  /**
   * PostgreSQL `statement_timeout` of every pooled connection: a query running longer is
   * cancelled by the server (SQLSTATE 57014, hence SERVICE_UNAVAILABLE). The same value is the
   * connection's `idle_in_transaction_session_timeout`, so a transaction whose client vanished
   * without a word (network black hole) releases its row locks this soon, not at the server's
   * TCP keepalive hours later. Default 5000 (DATABASE_STATEMENT_TIMEOUT_MS).
   */
  statementTimeoutMs?: number;
  /**
   * Time allowed to open a connection, and also to wait for a free one when the pool is
   * exhausted (pg-pool applies the same bound to both): past it the query fails with
   * "timeout exceeded when trying to connect", hence SERVICE_UNAVAILABLE. Default 3000
   * (DATABASE_CONNECT_TIMEOUT_MS).
   */
  connectTimeoutMs?: number;
}

/** The database the configuration names: DATABASE_URL with its pool and timeouts, else PGlite in EMBEDDED_DB_DIR. */
export function databaseTarget(config: Config): DatabaseTarget {
  return config.DATABASE_URL
    ? {
        url: config.DATABASE_URL,
        poolMax: config.DATABASE_POOL_MAX,
        statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      }
    : { embeddedDir: config.EMBEDDED_DB_DIR };
}

/**
 * The directory the embedded database keeps its files in; undefined for a server, or for PGlite
 * in memory (`memory://`, or any other `scheme://` PGlite takes).
 */
export function embeddedDirectory(target: DatabaseTarget): string | undefined {
  return 'embeddedDir' in target && !target.embeddedDir.includes('://') ? target.embeddedDir : undefined;
}

/** Idle pooled connections are probed this soon, so a dead one is dropped before it is handed out. */
const TCP_KEEPALIVE_DELAY_MS = 5_000;

const INT8_OID = 20;
// bigint columns (accumulated_ms, count(*)) hold values far below 2^53; both drivers otherwise
// return them as strings (pg) or BigInt (PGlite), which would leak driver details upwards.
const parseInt8 = (value: string): number => Number(value);

/** Opens the database named by `target`. Failures to reach it surface on the first query. */
export async function openDatabase(target: DatabaseTarget, logger: Logger): Promise<DatabaseHandle> {
  if ('url' in target) {
    const statementTimeoutMs = target.statementTimeoutMs ?? 5_000;
    const connectTimeoutMs = target.connectTimeoutMs ?? 3_000;
    const max = target.poolMax ?? 10;
    const pool = new pg.Pool({
      connectionString: target.url,
      max,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: statementTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: TCP_KEEPALIVE_DELAY_MS,
      // By then the server has either answered or cancelled the query (statement_timeout) and
      // had a connect timeout's worth of time to say so.
      Client: clientWithQueryDeadline(statementTimeoutMs + connectTimeoutMs),
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // A connection whose server goes away emits 'error' on its client: on an idle one pg-pool
    // re-emits it on the pool, but a checked-out one (a transaction between two statements) has
    // no listener of pg-pool's, and an unheard 'error' event would crash the process. The query
    // in flight, if any, fails on its own; the pool drops the dead client when it is released.
    pool.on('connect', (client) =>
      client.on('error', (err) =>
        logger.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'database connection lost'),
      ),
    );
    // Logged by the client's own listener above; the pool's must exist all the same.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const poolUsage = (): DatabasePoolUsage => ({
      max,
      connections: { idle: pool.idleCount, busy: pool.totalCount - pool.idleCount, waiting: pool.waitingCount },
    });
    return { db, kind: 'postgres', poolUsage, close: once(() => db.destroy()) };
  }
  // PGlite creates only the last folder of the path; make the parents too.
  const dir = embeddedDirectory(target);
  if (dir) await mkdir(dir, { recursive: true });
  const pglite = await PGlite.create(target.embeddedDir, { parsers: { [INT8_OID]: parseInt8 } });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'embedded',
    poolUsage: () => ({ max: 1 }),
    close: once(async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    }),
  };
}

/** True when the database answers a trivial query. */
export async function isDatabaseReachable(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * pg's client with a deadline on every query: a query still unanswered `deadlineMs` after it
 * was issued ends its connection, which fails it (and anything queued behind it) with
 * "Connection terminated". statement_timeout cannot help when the server or the network has
 * vanished without closing the socket (a black hole): TCP would take many minutes to notice,
 * and every request, and the pool slot it holds, would wait as long.
 */
function clientWithQueryDeadline(deadlineMs: number): typeof pg.Client {
  return class DeadlineClient extends pg.Client {
    // pg's query() has a dozen overloads; this only watches the promise the ones Kysely uses return.
    override query(...args: any[]): any {
      const result: unknown = Reflect.apply(super.query, this, args);
      if (result instanceof Promise) {
        // With a query in flight, end() destroys the socket at once rather than saying goodbye.
        const deadline = setTimeout(() => void this.end().catch(() => {}), deadlineMs);
        deadline.unref();
        result.then(
          () => clearTimeout(deadline),
          () => clearTimeout(deadline),
        );
      }
      return result;
    }
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
