import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { isUniqueViolation } from '../src/db/failures.js';
import { migrateDown, migrateToLatest, migrations } from '../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

// Migrations run against Kysely<any>: they are checked against the live schema, not the app's
// table types, which move on after a migration is written.

/** Tables the migrations create; a later migration may add more, never fewer. */
const APP_TABLES = ['refresh_token_families', 'refresh_tokens', 'study_sessions', 'subjects', 'users'];
const migrationNames = Object.keys(migrations).sort();

let t: TestDatabase;
let db: Kysely<any>;
beforeAll(async () => {
  t = await createTestDatabase();
  db = t.handle.db;
});
afterAll(() => t.dispose());

/** Tables in the current schema other than Kysely's own bookkeeping. */
async function appTables(): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_name not like 'kysely\\_%'
    order by table_name
  `.execute(db);
  return rows.map((r) => r.table_name);
}

/** Names of the migrations recorded as applied. */
async function appliedMigrations(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

/** Every column and index of the current schema, to compare two states of it. */
async function schemaSnapshot(): Promise<string[]> {
  const columns = await sql<{ d: string }>`
    select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as d
    from information_schema.columns where table_schema = current_schema()
  `.execute(db);
  const indexes = await sql<{ d: string }>`select indexdef as d from pg_indexes where schemaname = current_schema()`.execute(db);
  return [...columns.rows, ...indexes.rows].map((r) => r.d).sort();
}

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the statement to fail');
}

describe('migrateToLatest and migrateDown', () => {
  // Every test starts from an empty schema, so none depends on another's leftovers.
  beforeEach(async () => {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
  });

  it('creates every table on an empty database and records each migration', async () => {
    const result = await migrateToLatest(db);
    expect(result.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual(
      migrationNames.map((name) => [name, 'Up', 'Success']),
    );
    expect(await appTables()).toEqual(expect.arrayContaining(APP_TABLES));
    expect(await appliedMigrations()).toEqual(migrationNames);
  });

  it('is a no-op when the database is already at the latest migration', async () => {
    await migrateToLatest(db);
    const tablesBefore = await appTables();

    const again = await migrateToLatest(db);
    expect(again.results).toEqual([]);
    expect(await appTables()).toEqual(tablesBefore);
    expect(await appliedMigrations()).toEqual(migrationNames);
  });

  it('reverts one migration per migrateDown, newest first', async () => {
    await migrateToLatest(db);
    const newest = migrationNames[migrationNames.length - 1]!;

    const result = await migrateDown(db);
    expect(result.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([[newest, 'Down', 'Success']]);
    expect(await appliedMigrations()).toEqual(migrationNames.slice(0, -1));
  });

  it('leaves the same schema after the newest migration is reverted and applied again', async () => {
    await migrateToLatest(db);
    const latest = await schemaSnapshot();

    await migrateDown(db);
    expect(await schemaSnapshot()).not.toEqual(latest);
    await migrateToLatest(db);
    expect(await schemaSnapshot()).toEqual(latest);
  });

  it('removes every table when migrated all the way down', async () => {
    await migrateToLatest(db);
    for (const _ of migrationNames) await migrateDown(db);

    expect(await appTables()).toEqual([]);
    expect(await appliedMigrations()).toEqual([]);
    const err = await rejection(sql`select * from users`.execute(db));
    expect(err).toMatchObject({ code: '42P01' }); // undefined_table
  });

  it('migrates up again after being migrated all the way down', async () => {
    await migrateToLatest(db);
    for (const _ of migrationNames) await migrateDown(db);

    const result = await migrateToLatest(db);
    expect(result.results?.map((r) => r.status)).toEqual(migrationNames.map(() => 'Success'));
    expect(await appTables()).toEqual(expect.arrayContaining(APP_TABLES));
    expect(await appliedMigrations()).toEqual(migrationNames);
  });
});

describe('at most one unfinished session per student', () => {
  type Status = 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'STOPPED';
  const INDEX = 'study_sessions_one_active_per_user';

  beforeAll(async () => {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
    await migrateToLatest(db);
  });

  /** A new user with one subject, inserted directly. */
  async function studentWithSubject(): Promise<{ userId: string; subjectId: string }> {
    const userId = randomUUID();
    const subjectId = randomUUID();
    await sql`insert into users (id, email, password_hash) values (${userId}, ${`${userId}@example.com`}, 'not-a-hash')`.execute(db);
    await sql`insert into subjects (id, user_id, name) values (${subjectId}, ${userId}, 'History')`.execute(db);
    return { userId, subjectId };
  }

  /** Inserts a FREE session in `status`, with the timestamps the table's checks require of it. */
  function insertSession(owner: { userId: string; subjectId: string }, status: Status) {
    const now = new Date('2026-01-05T09:00:00.000Z');
    const runStartedAt = status === 'RUNNING' ? now : null;
    const endedAt = status === 'COMPLETED' || status === 'STOPPED' ? now : null;
    const pausedReason = status === 'PAUSED' ? 'USER' : null;
    return sql`
      insert into study_sessions (id, user_id, subject_id, type, status, run_started_at, started_at, ended_at, paused_reason)
      values (${randomUUID()}, ${owner.userId}, ${owner.subjectId}, 'FREE', ${status}, ${runStartedAt}, ${now}, ${endedAt}, ${pausedReason})
    `.execute(db);
  }

  async function sessionStatuses(userId: string): Promise<string[]> {
    const { rows } = await sql<{ status: string }>`select status from study_sessions where user_id = ${userId} order by status`.execute(db);
    return rows.map((r) => r.status);
  }

  it('is a unique index restricted to RUNNING and PAUSED rows', async () => {
    const { rows } = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where schemaname = current_schema() and indexname = ${INDEX}
    `.execute(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.indexdef).toMatch(/^CREATE UNIQUE INDEX .* ON .*study_sessions .*\(user_id\) WHERE /);
    expect(rows[0]!.indexdef).toContain("'RUNNING'");
    expect(rows[0]!.indexdef).toContain("'PAUSED'");
  });

  it.each<[Status, Status]>([
    ['RUNNING', 'RUNNING'],
    ['RUNNING', 'PAUSED'],
    ['PAUSED', 'RUNNING'],
    ['PAUSED', 'PAUSED'],
  ])('rejects a %s session next to a %s one of the same student with a unique violation', async (existing, second) => {
    const student = await studentWithSubject();
    await insertSession(student, existing);

    const err = await rejection(insertSession(student, second));
    expect(isUniqueViolation(err, INDEX)).toBe(true);
    expect(await sessionStatuses(student.userId)).toEqual([existing]);
  });

  it('accepts any number of STOPPED and COMPLETED sessions of the same student', async () => {
    const student = await studentWithSubject();
    await insertSession(student, 'STOPPED');
    await insertSession(student, 'STOPPED');
    await insertSession(student, 'COMPLETED');
    await insertSession(student, 'COMPLETED');
    expect(await sessionStatuses(student.userId)).toEqual(['COMPLETED', 'COMPLETED', 'STOPPED', 'STOPPED']);
  });

  it('accepts an unfinished session next to finished ones', async () => {
    const student = await studentWithSubject();
    await insertSession(student, 'STOPPED');
    await insertSession(student, 'COMPLETED');
    await insertSession(student, 'RUNNING');
    expect(await sessionStatuses(student.userId)).toEqual(['COMPLETED', 'RUNNING', 'STOPPED']);
  });

  it('lets different students each have a running session', async () => {
    const first = await studentWithSubject();
    const second = await studentWithSubject();
    await insertSession(first, 'RUNNING');
    await insertSession(second, 'RUNNING');
    expect(await sessionStatuses(first.userId)).toEqual(['RUNNING']);
    expect(await sessionStatuses(second.userId)).toEqual(['RUNNING']);
  });
});

describe('npm run migrate', () => {
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/db/migrate-cli.ts', ...args], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout }));
    });

  it('applies every migration to the embedded database, then reverts the newest with "down"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'studyclock-migrate-'));
    try {
      const up = await run([], { EMBEDDED_DB_DIR: dir });
      expect(up.code).toBe(0);
      const applied = up.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(applied.filter((l) => l.msg === 'migration').map((l) => [l.migration, l.direction, l.status])).toEqual(
        Object.keys(migrations).map((name) => [name, 'Up', 'Success']),
      );

      const down = await run(['down'], { EMBEDDED_DB_DIR: dir });
      expect(down.code).toBe(0);
      expect(down.stdout).toContain(`"migration":"${Object.keys(migrations).at(-1)}","direction":"Down","status":"Success"`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
