import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/app/server.js';
import { LOG_IN, SESSIONS, SUBJECTS } from './support/fixtures.js';
import { GraphQLTestClient } from './support/graphql-client.js';
import { testEnv } from './support/server.js';

// `npm run seed` on an embedded database, as a newcomer runs it; then a server on the same
// folder serves the demo student. Always on PGlite (the seed's default target).

const seed = (dir: string) =>
  new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/seed.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', EMBEDDED_DB_DIR: dir, PASSWORD_SCRYPT_LOG_N: '14' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'studyclock-seed-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('creates a demo student with subjects and a week of past sessions, prints the log-in, and is idempotent', async () => {
  const first = await seed(dir);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain('Seeded the embedded database');
  expect(first.stdout).toContain('demo@studyclock.dev');
  const again = await seed(dir);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('Already seeded');

  const config = loadConfig({ ...testEnv, EMBEDDED_DB_DIR: dir });
  const server = await startServer({ config, logger: createLogger('silent') });
  try {
    const anonymous = new GraphQLTestClient(`${server.origin}/graphql`);
    const { logIn } = await anonymous.ok(LOG_IN, { input: { email: 'demo@studyclock.dev', password: 'study-with-studyclock' } });
    const student = anonymous.withToken(logIn.accessToken);
    const { subjects } = await student.ok(SUBJECTS);
    expect(subjects.map((s) => s.name)).toEqual(['Algebra', 'Biology', 'History']);
    const { sessions } = await student.ok(SESSIONS, { first: 100 });
    const nodes = sessions.edges.map((e) => e.node);
    expect(nodes).toHaveLength(14);
    const pomodoros = nodes.filter((n) => n.type === 'POMODORO');
    expect(pomodoros).toHaveLength(7);
    for (const p of pomodoros) expect(p).toMatchObject({ status: 'COMPLETED', elapsedSeconds: 1500 });
    const free = nodes.filter((n) => n.type === 'FREE');
    expect(free.map((n) => n.status)).toEqual(Array(7).fill('STOPPED'));
    // Each free session ran 20 + 5·day minutes, paused 10, ran 15 more.
    expect(free.map((n) => n.elapsedSeconds).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6].map((d) => (35 + 5 * d) * 60));
    for (const n of nodes) expect(Date.parse(n.endedAt!)).toBeLessThan(Date.now());
  } finally {
    await server.close();
  }
}, 120_000);
