import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import { type StudyclockServer, startServer } from '../src/app/server.js';
import { CREATE_SUBJECT, LOG_IN, ME, PASSWORD, SIGN_UP, SUBJECTS } from './support/fixtures.js';
import { GraphQLTestClient } from './support/graphql-client.js';
import { captureLogs } from './support/server.js';

// The path a newcomer takes: no DATABASE_URL, no database handed in, so the server opens
// PGlite itself from EMBEDDED_DB_DIR. This file never uses TEST_DATABASE_URL; the environment
// is given explicitly, so it runs on PGlite whichever database the rest of the suite uses.

/** PGlite's first start on an empty directory runs initdb, which takes several seconds. */
const PGLITE_TIMEOUT = 120_000;

const JWT_SECRET = 'embedded-test-secret-of-at-least-32-bytes';

/** `env` overrides the defaults; a variable set to undefined is unset. */
function embeddedConfig(dir: string, env: Record<string, string | undefined> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    EMBEDDED_DB_DIR: dir,
    JWT_SECRET,
    PASSWORD_SCRYPT_LOG_N: '14',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

const running = new Set<StudyclockServer>();
async function start(dir: string, options: { env?: Record<string, string | undefined>; logger?: Logger } = {}): Promise<StudyclockServer> {
  const server = await startServer({ config: embeddedConfig(dir, options.env), logger: options.logger });
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

  describe('without JWT_SECRET', () => {
    const NO_SECRET = { JWT_SECRET: undefined, LOG_LEVEL: 'trace' };

    it('signs with a secret made at the first start and kept in the directory, so tokens survive a restart', async () => {
      const dir = freshDataDir();
      const firstLogs = captureLogs('trace');
      const first = await start(dir, { env: NO_SECRET, logger: firstLogs.logger });
      const { signUp } = await new GraphQLTestClient(`${first.origin}/graphql`).ok(SIGN_UP, {
        input: { email: 'restarts@example.com', password: PASSWORD },
      });
      await stop(first);

      const secondLogs = captureLogs('trace');
      const second = await start(dir, { env: NO_SECRET, logger: secondLogs.logger });
      const { me } = await new GraphQLTestClient(`${second.origin}/graphql`).withToken(signUp.accessToken).ok(ME);
      expect(me).toEqual({ id: signUp.user.id, email: 'restarts@example.com' });

      const file = join(dir, 'jwt-secret');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const secret = readFileSync(file, 'utf8').trim();
      expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
      for (const { lines } of [firstLogs, secondLogs]) {
        const logs = lines.join('\n');
        expect(logs).toContain(`signing with the development secret kept in ${file}`);
        expect(logs).not.toContain(secret);
        expect(logs).not.toContain('random secret');
      }
    }, PGLITE_TIMEOUT);

    it('refuses to start on a secret file too short to sign with, naming the file and not its content', async () => {
      const dir = freshDataDir();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'jwt-secret'), 'too-short-a-secret\n', { mode: 0o600 });
      await expect(start(dir, { env: NO_SECRET })).rejects.toThrow(
        new Error(`${join(dir, 'jwt-secret')} holds no signing secret of at least 32 bytes: delete it to have a new one made (everyone signed in is logged out)`),
      );
    }, PGLITE_TIMEOUT);

    it('still refuses to start in production', () => {
      const dir = freshDataDir();
      expect(() => embeddedConfig(dir, { NODE_ENV: 'production', JWT_SECRET: undefined })).toThrow(
        new ConfigError(['JWT_SECRET: required when NODE_ENV=production']),
      );
      expect(existsSync(dir)).toBe(false);
    });

    it('writes nothing when JWT_SECRET is set', async () => {
      const dir = freshDataDir();
      await start(dir);
      expect(existsSync(join(dir, 'jwt-secret'))).toBe(false);
    }, PGLITE_TIMEOUT);
  });
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

  it('without JWT_SECRET, signs with a secret of this process and says tokens will not survive a restart', async () => {
    const { logger, lines } = captureLogs('info');
    await start('memory://', { env: { JWT_SECRET: undefined }, logger });
    expect(lines.map((l) => (JSON.parse(l) as { level: number; msg: string }))).toContainEqual(
      expect.objectContaining({ level: 40, msg: 'JWT_SECRET is unset: using a random secret for this process; tokens will not survive a restart' }),
    );
  }, PGLITE_TIMEOUT);
});
