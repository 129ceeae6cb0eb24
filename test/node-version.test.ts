import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { programUnavailable } from './support/required-program.js';

// A Node.js that package.json's engines does not accept is refused at once, with what to install
// and how: by `npm install` (engine-strict in .npmrc) and by every script that runs studyclock or
// its tests (scripts/require-node.mjs first). Node 20, the machines' system Node, once installed
// and started fine, then failed five browser tests after minutes of `npm test`.

const root = fileURLToPath(new URL('..', import.meta.url));
const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const GUARD = join(root, 'scripts/require-node.mjs');

/** The Node.js 20 these machines ship at /usr/bin (`.ci/run` installs a current one beside it). */
const NODE_20 = '/usr/bin/node';
const node20Version = existsSync(NODE_20) ? execFileSync(NODE_20, ['--version'], { encoding: 'utf8' }).trim() : undefined;
/** Why the Node 20 cases cannot run here (never in CI, where they must), or null. */
const node20Unavailable = programUnavailable({
  suite: 'Node 20',
  found: node20Version?.startsWith('v20.') === true,
  missing: `no Node.js 20 at ${NODE_20} (found ${node20Version ?? 'nothing'})`,
});
const describeNode20 = node20Unavailable ? describe.skip : describe;

/**
 * Runs `file` with `args` to its end: exit code, stderr, and how long it took. In a process group
 * of its own, killed whole after `timeoutMs`: a regression that lets `npm start` start a server
 * must fail the test, not leave the server running.
 */
function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const started = Date.now();
  return new Promise<{ code: number | null; stderr: string; ms: number }>((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd ?? root, env: options.env ?? process.env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - started });
    });
  });
}

/** What the guard says to a Node it refuses: which Node to install and three ways to do it. */
function expectRefusal(stderr: string, version: string, execPath: string): void {
  expect(stderr).toContain(`studyclock needs Node.js ${engines} (24 recommended); this is Node.js ${version} (${execPath}).\n`);
  expect(stderr).toContain('Install Node.js 24, then run the command again with it:\n');
  expect(stderr).toContain('  nvm:  nvm install 24 && nvm use 24\n');
  expect(stderr).toContain('  fnm:  fnm install 24 && fnm use 24\n');
  expect(stderr).toContain('  or the installer for your system from https://nodejs.org/en/download\n');
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'studyclock-node-'));
  scratch.push(dir);
  return dir;
}

describe('scripts/require-node.mjs', () => {
  it('lets the Node running the tests through without a word', async () => {
    expect(await run(process.execPath, [GUARD])).toEqual({ code: 0, stderr: '', ms: expect.any(Number) });
  });

  // The guard beside a package.json that asks for the next major: a refused Node on any machine.
  it.each([
    ['a newer major', (major: number) => `>=${major + 1}.0.0`],
    ['another major line', (major: number) => `^${major - 2}.0.0 || ^${major + 2}.0.0`],
  ])('refuses this Node when engines asks for %s, naming both versions, with exit code 1', async (_case, range) => {
    const dir = scratchDir();
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(GUARD, join(dir, 'scripts/require-node.mjs'));
    const engine = range(Number(process.versions.node.split('.')[0]));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', engines: { node: engine } }));

    const { code, stderr } = await run(process.execPath, [join(dir, 'scripts/require-node.mjs')], { cwd: dir });

    expect(code).toBe(1);
    expect(stderr).toContain(`studyclock needs Node.js ${engine} (24 recommended); this is Node.js ${process.versions.node} (${process.execPath}).\n`);
    expect(stderr).toContain('nvm install 24');
  });
});

describeNode20('on Node.js 20', () => {
  // Only /usr/bin first on PATH: `npm` and `node` are then the system's, as for a newcomer.
  const env = { ...process.env, PATH: '/usr/bin:/bin', NODE_OPTIONS: '' };

  it('is refused by the guard with exit code 1 and what to install', async () => {
    const { code, stderr } = await run(NODE_20, [GUARD], { env });
    expect(code).toBe(1);
    expectRefusal(stderr, node20Version!.slice(1), NODE_20);
  });

  it.each(['start', 'test', 'run web', 'run dev', 'run seed', 'run migrate'])(
    'is refused by npm %s at once',
    async (command) => {
      const { code, stderr, ms } = await run('npm', command.split(' '), { env });
      expect(code).toBe(1);
      expectRefusal(stderr, node20Version!.slice(1), NODE_20);
      expect(ms).toBeLessThan(10_000);
    },
  );

  // A dry run in a copy of the project: it reads .npmrc, package.json and the lockfile, and
  // installs nothing.
  it('is refused by npm install, with the Node that engines asks for', async () => {
    const dir = scratchDir();
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(root, file), join(dir, file));

    const { code, stderr } = await run('npm', ['install', '--dry-run', '--no-audit', '--no-fund'], { cwd: dir, env });

    expect(code).toBe(1);
    expect(stderr).toContain('npm error code EBADENGINE');
    expect(stderr).toContain(`npm error notsup Required: {"node":"${engines}"}`);
    expect(stderr).toContain(`npm error notsup Actual:   {"node":"${node20Version}"`);
  });
});

describe('npm install on the Node running the tests', () => {
  it('accepts it: neither the project nor a dependency refuses it (engine-strict)', async () => {
    const dir = scratchDir();
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(root, file), join(dir, file));
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NODE_OPTIONS: '' };

    const { code, stderr } = await run('npm', ['install', '--dry-run', '--no-audit', '--no-fund'], { cwd: dir, env });

    expect({ code, stderr: stderr.split('\n').filter((l) => l.includes('EBADENGINE') || l.includes('notsup')) }).toEqual({ code: 0, stderr: [] });
  }, 60_000);
});
