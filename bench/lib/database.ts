import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Subscriber } from './protocol.js';

/** The PostgreSQL the benchmark may use: the local server, as user postgres (trust). */
export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

/** A database created for one benchmark run. */
export interface BenchDatabase {
  readonly name: string;
  /** A connection string to it through `port` (the query counter's, or PostgreSQL's own). */
  url(port?: number): string;
  /** Committed plus rolled-back transactions of this database, per PostgreSQL's statistics. */
  transactions(): Promise<number>;
  /**
   * The next transaction id the PostgreSQL server will assign. A transaction gets one at its
   * first write (reads never do), so the difference between two readings counts the write
   * transactions in between, on the whole server: every database, not only this one.
   */
  nextTransactionId(): Promise<number>;
  /** Drops the database (cutting its connections) and closes the admin connection. Idempotent. */
  drop(): Promise<void>;
}

/**
 * Creates `studyclock_bench_<random>` on the local PostgreSQL. The admin connection (to the
 * `postgres` database, so its own queries are not counted in the bench database's statistics)
 * stays open for {@link BenchDatabase.transactions} and the drop.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `studyclock_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await admin.connect();
  await admin.query(`create database ${name}`);
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: (port = POSTGRES.port) => `postgres://${POSTGRES.user}@${POSTGRES.host}:${port}/${name}`,
    transactions: async () => {
      const { rows } = await admin.query<{ n: string }>(
        'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
        [name],
      );
      return Number(rows[0]?.n ?? NaN);
    },
    nextTransactionId: async () => {
      const { rows } = await admin.query<{ n: string }>('select pg_snapshot_xmax(pg_current_snapshot())::text as n');
      return Number(rows[0]!.n);
    },
    drop: () =>
      (dropped ??= (async () => {
        try {
          await admin.query(`drop database if exists ${name} with (force)`);
        } finally {
          await admin.end().catch(() => {});
        }
      })()),
  };
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * `count` new students, each with a log-in and a session. Spread (the default), student i's run
 * started the fractional part of i·φ of a second after `originMs`: any first N of them are
 * spread evenly over the second (a golden-ratio sequence), so every size sees the same spread.
 * Aligned, every run started at `originMs`.
 */
export function makeStudents(count: number, originMs: number, phase: 'spread' | 'aligned' = 'spread'): Subscriber[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: randomUUID(),
    familyId: randomUUID(),
    sessionId: randomUUID(),
    originMs: phase === 'aligned' ? originMs : originMs + Math.floor(((i * GOLDEN) % 1) * 1000),
  }));
}

const CHUNK = 5_000;

// Each RUNNING session's current stretch, open, as studyclock writes it when a run starts.
const openStretches = `insert into study_session_runs (session_id, user_id, subject_id, started_at)
  select id, user_id, subject_id, run_started_at from study_sessions where status = 'RUNNING'`;

/**
 * Writes one student per subscriber, as studyclock's tables want them (see
 * `src/db/migrations/`): a user, an unrevoked log-in (refresh-token family, which an access
 * token's `sid` must name), a subject, and a RUNNING FREE session whose run started at the
 * subscriber's `originMs`, with its open running stretch (`study_session_runs`). Needs the
 * schema, which studyclock migrates at start-up.
 */
export async function seedStudents(url: string, subscribers: readonly Subscriber[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    for (let i = 0; i < subscribers.length; i += CHUNK) {
      const part = subscribers.slice(i, i + CHUNK);
      const users = part.map((s) => s.userId);
      await client.query(
        `insert into users (id, email, password_hash)
         select id, 'bench-' || id || '@bench.invalid', '!bench-no-password' from unnest($1::uuid[]) as t(id)`,
        [users],
      );
      await client.query(
        'insert into refresh_token_families (id, user_id) select * from unnest($1::uuid[], $2::uuid[])',
        [part.map((s) => s.familyId), users],
      );
      // The subject shares its student's id: the benchmark never looks it up on its own.
      await client.query(`insert into subjects (id, user_id, name) select id, id, 'Benchmarking' from unnest($1::uuid[]) as t(id)`, [users]);
      await client.query(
        `insert into study_sessions (id, user_id, subject_id, type, status, accumulated_ms, run_started_at, started_at)
         select id, user_id, user_id, 'FREE', 'RUNNING', 0, run_started_at, run_started_at
         from unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) as t(id, user_id, run_started_at)`,
        [part.map((s) => s.sessionId), users, part.map((s) => new Date(s.originMs).toISOString())],
      );
    }
    await client.query(openStretches);
    await client.query('commit');
  } finally {
    await client.end();
  }
}

/**
 * Puts every seeded session back to RUNNING from its original instant and forgets last-seen
 * instants and cluster presence, before a new studyclock process starts: whatever the previous one did at shutdown
 * (a last heartbeat, disconnect handling), the next starts from the same state and its start-up
 * recovery finds nothing to pause.
 */
export async function resetStudents(url: string, subscribers: readonly Subscriber[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('update users set last_seen_at = null');
    // Cluster presence a previous run's instances left (their sockets, pending pauses, rows).
    await client.query('delete from presence_pending');
    await client.query('delete from ws_connections');
    await client.query('delete from instances');
    await client.query('delete from study_session_runs');
    for (let i = 0; i < subscribers.length; i += CHUNK) {
      const part = subscribers.slice(i, i + CHUNK);
      await client.query(
        `update study_sessions s set status = 'RUNNING', accumulated_ms = 0, run_started_at = t.run_started_at,
           ended_at = null, paused_reason = null, version = s.version + 1
         from unnest($1::uuid[], $2::timestamptz[]) as t(id, run_started_at) where s.id = t.id`,
        [part.map((s) => s.sessionId), part.map((s) => new Date(s.originMs).toISOString())],
      );
    }
    await client.query(openStretches);
    await client.query('commit');
  } finally {
    await client.end();
  }
}
