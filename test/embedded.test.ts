import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { type StudyclockServer, startServer } from '../src/app/server.js';
import { CREATE_SUBJECT, LOG_IN, PASSWORD, SIGN_UP, SUBJECTS } from './support/fixtures.js';
import { GraphQLTestClient } from './support/graphql-client.js';

// The path a newcomer takes: no DATABASE_URL, no database handed in, so the server opens
// PGlite itself from EMBEDDED_DB_DIR. This file never uses TEST_DATABASE_URL; the environment
// is given explicitly, so it runs on PGlite whichever database the rest of the suite uses.

/** PGlite's first start on an empty directory runs initdb, which takes several seconds. */
const PGLITE_TIMEOUT = 120_000;

const JWT_SECRET = 'embedded-test-secret-of-at-least-32-bytes';

function embeddedConfig(dir: string) {
  return loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    EMBEDDED_DB_DIR: dir,
    JWT_SECRET,
    PASSWORD_SCRYPT_LOG_N: '14',
    LOG_LEVEL: 'silent',
  });
}

const running = new Set<StudyclockServer>();
async function start(dir: string): Promise<StudyclockServer> {
  const server = await startServer({ config: embeddedConfig(dir) });
  running.add(server);
  return server;
}
async function stop(server: StudyclockServer): Promise<void> {
  await server.close();
  running.delete(server);
}
afterEach(async () => {
  await Promise.all([...running].map((s) => s.close()));
  running.clear();
}, PGLITE_TIMEOUT);

describe('on a directory', () => {
  const roots: string[] = [];
  /** A path inside a fresh temporary folder, not created yet (like ./data on a fresh clone). */
  function freshDataDir(): string {
    const root = mkdtempSync(join(tmpdir(), 'studyclock-embedded-'));
    roots.push(root);
    return join(root, 'data');
  }
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('creates the directory and serves signUp and createSubject over HTTP', async () => {
    const dir = freshDataDir();
    const server = await start(dir);
    expect(server.database.kind).toBe('embedded');
    expect(existsSync(dir)).toBe(true);

    const anonymous = new GraphQLTestClient(`${server.origin}/graphql`);
    const { signUp } = await anonymous.ok(SIGN_UP, { input: { email: 'newcomer@example.com', password: PASSWORD } });
    expect(signUp.user.email).toBe('newcomer@example.com');
    const { createSubject } = await anonymous.withToken(signUp.accessToken).ok(CREATE_SUBJECT, { name: 'Linear algebra' });
    expect(createSubject.name).toBe('Linear algebra');
  }, PGLITE_TIMEOUT);

  it('keeps accounts and subjects across a restart on the same directory', async () => {
    const dir = freshDataDir();
    const email = 'returning@example.com';
    const first = await start(dir);
    const before = new GraphQLTestClient(`${first.origin}/graphql`);
    const { signUp } = await before.ok(SIGN_UP, { input: { email, password: PASSWORD } });
    await before.withToken(signUp.accessToken).ok(CREATE_SUBJECT, { name: 'Organic chemistry' });
    await stop(first);

    const second = await start(dir);
    const after = new GraphQLTestClient(`${second.origin}/graphql`);
    const { logIn } = await after.ok(LOG_IN, { input: { email, password: PASSWORD } });
    expect(logIn.user.email).toBe(email);
    const { subjects } = await after.withToken(logIn.accessToken).ok(SUBJECTS);
    expect(subjects.map((s) => s.name)).toEqual(['Organic chemistry']);
  }, PGLITE_TIMEOUT);
});

describe('in memory', () => {
  it('starts with EMBEDDED_DB_DIR=memory:// and serves signUp and createSubject', async () => {
    const server = await start('memory://');
    expect(server.database.kind).toBe('embedded');
    const anonymous = new GraphQLTestClient(`${server.origin}/graphql`);
    const { signUp } = await anonymous.ok(SIGN_UP, { input: { email: 'memory@example.com', password: PASSWORD } });
    const student = anonymous.withToken(signUp.accessToken);
    await student.ok(CREATE_SUBJECT, { name: 'Statistics' });
    const { subjects } = await student.ok(SUBJECTS);
    expect(subjects.map((s) => s.name)).toEqual(['Statistics']);
  }, PGLITE_TIMEOUT);
});
