import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { type Database, type DatabaseHandle, openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';

/** A database that exists for one test file only. */
export interface TestDatabase {
  handle: DatabaseHandle;
  /** Connection string when it is a real server (undefined on PGlite). */
  url: string | undefined;
  /** Closes the connections and drops the database. */
  dispose(): Promise<void>;
}

/** Where and how {@link createTestDatabase} makes its database. */
export interface TestDatabaseOptions {
  /** Server to create it on, instead of TEST_DATABASE_URL (PGlite when both are unset). */
  adminUrl?: string;
  /** The pool's statement timeout (see `PostgresTarget`); openDatabase's default otherwise. */
  statementTimeoutMs?: number;
  /** The pool's connect timeout (see `PostgresTarget`); openDatabase's default otherwise. */
  connectTimeoutMs?: number;
}

/**
 * A fresh, empty database: a new database on the server named by TEST_DATABASE_URL when it is
 * set (CI uses the machine's PostgreSQL), otherwise an in-memory PGlite instance.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const logger = createLogger('silent');
  const adminUrl = options.adminUrl ?? process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const handle = await openDatabase({ embeddedDir: 'memory://' }, logger);
    return { handle, url: undefined, dispose: () => handle.close() };
  }
  const name = `studyclock_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const { statementTimeoutMs, connectTimeoutMs } = options;
  const handle = await openDatabase({ url: url.toString(), poolMax: 25, statementTimeoutMs, connectTimeoutMs }, logger);
  return {
    handle,
    url: url.toString(),
    dispose: async () => {
      await handle.close();
      await withAdmin(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withAdmin(url: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Every row of every table, each table ordered by id: compare before and after a refused
 * operation, where "nothing changed" means exactly equal.
 */
export async function snapshotDatabase(db: Kysely<Database>) {
  return {
    users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
    refreshTokenFamilies: await db.selectFrom('refresh_token_families').selectAll().orderBy('id').execute(),
    refreshTokens: await db.selectFrom('refresh_tokens').selectAll().orderBy('id').execute(),
    subjects: await db.selectFrom('subjects').selectAll().orderBy('id').execute(),
    studySessions: await db.selectFrom('study_sessions').selectAll().orderBy('id').execute(),
    studySessionRuns: await db.selectFrom('study_session_runs').selectAll().orderBy('id').execute(),
  };
}
