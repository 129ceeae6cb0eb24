import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { RefreshTokenFamilyTable, RefreshTokenTable } from '../auth/refresh-token.table.js';
import type { StudySessionTable } from '../sessions/session.table.js';
import type { SubjectTable } from '../subjects/subject.table.js';
import type { UserTable } from '../users/user.table.js';
import type { Logger } from '../logger.js';

/** The whole schema as Kysely sees it, built from each domain's table types. */
export interface Database {
  users: UserTable;
  refresh_token_families: RefreshTokenFamilyTable;
  refresh_tokens: RefreshTokenTable;
  subjects: SubjectTable;
  study_sessions: StudySessionTable;
}

/** A connected database and the function that releases it. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  /** `postgres` for a server reached through `pg`, `embedded` for PGlite. */
  readonly kind: 'postgres' | 'embedded';
  /** Closes the pool or the embedded instance. Idempotent. */
  close(): Promise<void>;
}

/** Where to find the database: a server URL, or a directory (or `memory://`) for PGlite. */
export type DatabaseTarget = { url: string; poolMax?: number } | { embeddedDir: string };

const INT8_OID = 20;
// bigint columns (accumulated_ms, count(*)) hold values far below 2^53; both drivers otherwise
// return them as strings (pg) or BigInt (PGlite), which would leak driver details upwards.
const parseInt8 = (value: string): number => Number(value);

/** Opens the database named by `target`. Failures to reach it surface on the first query. */
export async function openDatabase(target: DatabaseTarget, logger: Logger): Promise<DatabaseHandle> {
  if ('url' in target) {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolMax ?? 10,
      connectionTimeoutMillis: 5_000,
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its server emits 'error' on the pool; unhandled, it would crash the process.
    pool.on('error', (err) => logger.error({ err: { message: err.message } }, 'database pool error'));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: once(() => db.destroy()) };
  }
  // PGlite creates only the last folder of the path; make the parents too.
  if (!target.embeddedDir.includes('://')) await mkdir(target.embeddedDir, { recursive: true });
  const pglite = await PGlite.create(target.embeddedDir, { parsers: { [INT8_OID]: parseInt8 } });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'embedded',
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

/** True when `err` is PostgreSQL's unique_violation, optionally on the named constraint or index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code !== '23505') return false;
  if (constraint === undefined) return true;
  // pg reports the index in `constraint`; PGlite only names it in the message.
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(`"${constraint}"`));
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
