import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TokenSettings } from './protocol.js';

/**
 * Builds studyclock as the Docker image runs it (`tsconfig.build.json` into dist/): run through
 * tsx, every closure would be renamed at run time (esbuild's keepNames), which puts each
 * function object in dictionary mode, 256 bytes more per closure that no deployment pays.
 */
export function buildStudyclock(repo: string): void {
  execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
}

/** What studyclock runs from dist/ (see {@link buildStudyclock}). */
export const STUDYCLOCK_ARGS = ['dist/main.js'];

/**
 * The environment of a benchmarked studyclock: exactly these variables (src/config.ts), plus
 * `extra` (the cluster's), and nothing else from the shell.
 */
export function studyclockEnv(tokens: TokenSettings, databaseUrl: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    JWT_SECRET: tokens.secret,
    JWT_ISSUER: tokens.issuer,
    JWT_AUDIENCE: tokens.audience,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    // The load comes from a handful of loopback addresses: the per-address defaults (50
    // sockets, 60 upgrades a minute) are for the internet, not for this.
    WS_MAX_SOCKETS_PER_IP: '100000',
    WS_CONNECTIONS_PER_IP_PER_MINUTE: '100000',
    OPERATIONS_PER_CONNECTION_PER_MINUTE: '1000000',
    OPERATIONS_PER_STUDENT_PER_MINUTE: '1000000',
    // Warm-up sockets close before the ramp: their sessions must still be RUNNING when their
    // students reconnect, not paused after the default 15 s grace.
    DISCONNECT_GRACE_SECONDS: '3600',
    ...extra,
  };
}
