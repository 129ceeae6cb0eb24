import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'a-production-secret-of-at-least-32-bytes';

/** The ConfigError that loadConfig throws for `env` (fails the test if it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected loadConfig to reject ${JSON.stringify(env)}`);
}

describe('defaults', () => {
  it('uses the documented default for every variable when the environment is empty', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 4000,
      LOG_LEVEL: 'info',
      DATABASE_POOL_MAX: 10,
      EMBEDDED_DB_DIR: './data',
      JWT_ISSUER: 'studyclock',
      JWT_AUDIENCE: 'studyclock-api',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 2_592_000,
      COOKIE_SECURE: true,
      COOKIE_SAME_SITE: 'strict',
      ALLOWED_ORIGINS: [],
      PASSWORD_SCRYPT_LOG_N: 17,
      COMPLETION_SWEEP_SECONDS: 1,
      SHUTDOWN_TIMEOUT_SECONDS: 10,
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ PORT: '', LOG_LEVEL: '', EMBEDDED_DB_DIR: '', JWT_SECRET: '', COOKIE_SECURE: '', DATABASE_URL: '' });
    expect(config).toMatchObject({ PORT: 4000, LOG_LEVEL: 'info', EMBEDDED_DB_DIR: './data', COOKIE_SECURE: true, jwtSecretGenerated: true });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('parses numbers and booleans from their string form', () => {
    const config = loadConfig({ PORT: '8080', ACCESS_TOKEN_TTL_SECONDS: '60', COOKIE_SECURE: '0' });
    expect(config).toMatchObject({ PORT: 8080, ACCESS_TOKEN_TTL_SECONDS: 60, COOKIE_SECURE: false });
  });
});

describe('JWT secret', () => {
  it('generates a random secret of at least 32 bytes in development and flags it', () => {
    const first = loadConfig({});
    const second = loadConfig({});
    expect(first.jwtSecretGenerated).toBe(true);
    expect(Buffer.byteLength(first.JWT_SECRET, 'utf8')).toBeGreaterThanOrEqual(32);
    expect(second.JWT_SECRET).not.toBe(first.JWT_SECRET);
  });

  it('uses the given secret and does not flag it as generated', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config.JWT_SECRET).toBe(SECRET);
    expect(config.jwtSecretGenerated).toBe(false);
  });

  it('refuses to run in production without JWT_SECRET', () => {
    expect(configError({ NODE_ENV: 'production' }).problems).toEqual(['JWT_SECRET: required when NODE_ENV=production']);
  });

  it('refuses to run in production with an empty JWT_SECRET', () => {
    expect(configError({ NODE_ENV: 'production', JWT_SECRET: '' }).problems).toEqual(['JWT_SECRET: required when NODE_ENV=production']);
  });

  it('starts in production with a secret of 32 bytes', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) });
    expect(config.NODE_ENV).toBe('production');
    expect(config.jwtSecretGenerated).toBe(false);
  });
});

describe('invalid variables', () => {
  it('reports every invalid variable in one ConfigError', () => {
    const err = configError({ PORT: 'abc', LOG_LEVEL: 'loud', JWT_SECRET: 'short' });
    expect(err.name).toBe('ConfigError');
    expect(err.problems).toHaveLength(3);
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['JWT_SECRET', 'LOG_LEVEL', 'PORT']);
    expect(err.problems).toContain('JWT_SECRET: must be at least 32 bytes');
    for (const problem of err.problems) expect(err.message).toContain(`  - ${problem}`);
  });

  it('reports a rule between variables together with an invalid variable', () => {
    // A production operator with a typo in PORT must learn about the missing secret and the
    // cookie contradiction in the same run, not one restart later.
    const err = configError({ NODE_ENV: 'production', PORT: 'abc', COOKIE_SAME_SITE: 'none', COOKIE_SECURE: 'false' });
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['COOKIE_SAME_SITE', 'JWT_SECRET', 'PORT']);
  });

  it('refuses a port outside 0–65535', () => {
    expect(configError({ PORT: '65536' }).problems).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it('refuses a DATABASE_URL that is not a postgres:// URL', () => {
    expect(configError({ DATABASE_URL: 'mysql://root@localhost/studyclock' }).problems).toEqual([expect.stringMatching(/^DATABASE_URL: /)]);
  });

  it('refuses INSTANCE_ID on the embedded database, which serves one process', () => {
    expect(configError({ INSTANCE_ID: 'api-1' }).problems).toEqual([
      'INSTANCE_ID: several instances need a shared PostgreSQL server (DATABASE_URL); the embedded database serves one process',
    ]);
  });

  it('refuses an INSTANCE_ID with characters outside letters, digits, dots, dashes and underscores', () => {
    expect(configError({ INSTANCE_ID: 'api 1', DATABASE_URL: 'postgres://db/studyclock' }).problems).toEqual([expect.stringMatching(/^INSTANCE_ID: must be 1 to 64/)]);
  });

  it('refuses COOKIE_SAME_SITE=none without COOKIE_SECURE', () => {
    expect(configError({ COOKIE_SAME_SITE: 'none', COOKIE_SECURE: 'false' }).problems).toEqual([
      'COOKIE_SAME_SITE: "none" requires COOKIE_SECURE=true',
    ]);
  });

  it('accepts COOKIE_SAME_SITE=none with secure cookies', () => {
    expect(loadConfig({ COOKIE_SAME_SITE: 'none', COOKIE_SECURE: 'true' }).COOKIE_SAME_SITE).toBe('none');
  });
});

describe('ALLOWED_ORIGINS', () => {
  it('splits on commas, trims spaces and drops empty entries', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: ' https://app.example.com , ,https://admin.example.com,' });
    expect(config.ALLOWED_ORIGINS).toEqual(['https://app.example.com', 'https://admin.example.com']);
  });

  it('allows no origin when unset', () => {
    expect(loadConfig({}).ALLOWED_ORIGINS).toEqual([]);
  });
});

describe('immutability', () => {
  it('returns a frozen object, origins included', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: 'https://app.example.com' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ALLOWED_ORIGINS)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
    expect(() => (config.ALLOWED_ORIGINS as string[]).push('https://evil.example.com')).toThrow(TypeError);
    expect(config.PORT).toBe(4000);
  });
});

describe('entry point', () => {
  it('exits with code 78 and prints every problem on stderr without starting', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: projectRoot,
      // A clean environment: no DATABASE_URL or TEST_DATABASE_URL leaking in from the test run.
      env: { PATH: process.env.PATH, PORT: 'abc', JWT_SECRET: 'short', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    // A process that wrongly starts serving must not outlive the test.
    const outcome = await Promise.race([closed, delay(20_000, 'still running after 20 s', { ref: false })]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');

    expect(outcome).toBe(78);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toMatch(/^ {2}- PORT: /m);
    expect(stderr).toMatch(/^ {2}- JWT_SECRET: must be at least 32 bytes$/m);
    expect(stdout).not.toContain('listening');
  });
});
