// `npm run web`: the API and the reference web app in one process, for trying studyclock in a
// browser. The API starts as `npm start` would (same configuration variables, embedded database
// in ./data unless DATABASE_URL is set), except that it logs warnings only unless LOG_LEVEL says
// otherwise and that the app's own origins are added to ALLOWED_ORIGINS. Vite serves the app
// with hot reload and proxies /graphql (HTTP and WebSocket) to the API, so the page talks to
// one origin. Ctrl-C (or SIGTERM) stops the API, then Vite, and exits with 130 (143).
import type { AddressInfo } from 'node:net';
import { createServer, mergeConfig, type ViteDevServer } from 'vite';
import { loadConfigOrExit } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type StudyclockServer, startServer } from '../../src/app/server.js';
import { webAppConfig } from './vite.config.js';

/** Vite's usual port; the next free one is taken when it is busy. */
const WEB_PORT = 5173;

const env = { LOG_LEVEL: 'warn', ...process.env };
const config = loadConfigOrExit(env);
if (config.PORT === 0) {
  process.stderr.write('npm run web: PORT=0 is not supported here; the app proxies to a fixed API port.\n');
  process.exit(78);
}

// Where the proxy finds the API: the address it binds, or loopback when it binds every interface.
const apiHost = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST === '::' ? '::1' : config.HOST;
const apiUrl = `${config.TLS_CERT_FILE ? 'https' : 'http'}://${apiHost.includes(':') ? `[${apiHost}]` : apiHost}:${config.PORT}`;

let web: ViteDevServer | undefined;
let api: StudyclockServer | undefined;
let stopping: Promise<boolean> | undefined;

/**
 * Stops the API (sockets closed with 1001, in-flight requests finished, the embedded database
 * closed cleanly), then Vite; once, however many signals arrive (npm forwards Ctrl-C's SIGINT,
 * so it comes twice). Resolves false when one of them failed to close.
 */
function stop(): Promise<boolean> {
  stopping ??= (async () => {
    let clean = true;
    if (api) {
      process.stdout.write('npm run web: stopping the API…\n');
      await api.close().then(
        () => process.stdout.write('npm run web: API stopped\n'),
        (err: unknown) => {
          clean = false;
          process.stderr.write(`npm run web: the API did not stop cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
    }
    await web?.close().catch((err: unknown) => {
      clean = false;
      process.stderr.write(`npm run web: Vite did not stop cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
    });
    return clean;
  })();
  return stopping;
}

/** What the process exits with after each signal: 128 + the signal's number, as a shell reports it. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
for (const [signal, exitCode] of Object.entries(SIGNAL_EXIT_CODES)) {
  process.on(signal, () => {
    // A close that hangs must not keep the terminal: the API gives in-flight requests
    // SHUTDOWN_TIMEOUT_SECONDS, then a few seconds more for the rest.
    setTimeout(() => process.exit(exitCode), config.SHUTDOWN_TIMEOUT_SECONDS * 1000 + 5000).unref();
    void stop().then((clean) => process.exit(clean ? exitCode : 1));
  });
}

/**
 * Runs `create` and takes back the SIGTERM and stdin `end` listeners it added. Vite's dev
 * server installs one of each that closes Vite and exits the process at once, which would end
 * it before the API has closed its sockets and database; this script's own handlers (above)
 * close both, in order.
 */
async function withoutExitHandlers<T>(create: () => Promise<T>): Promise<T> {
  const sigterm = new Set(process.listeners('SIGTERM'));
  const stdinEnd = new Set(process.stdin.listeners('end'));
  try {
    return await create();
  } finally {
    for (const listener of process.listeners('SIGTERM')) if (!sigterm.has(listener)) process.off('SIGTERM', listener);
    for (const listener of process.stdin.listeners('end')) {
      if (!stdinEnd.has(listener)) process.stdin.off('end', listener as (...args: unknown[]) => void);
    }
  }
}

try {
  // The app first: the API must know the app's origin before it starts (ALLOWED_ORIGINS).
  web = await withoutExitHandlers(() =>
    createServer(mergeConfig(webAppConfig(apiUrl), { configFile: false, server: { port: WEB_PORT } })),
  );
  await web.listen();
  const { port } = web.httpServer?.address() as AddressInfo;
  // Both spellings of the loopback name: the student may open either.
  const webOrigins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];

  // As if the student had run `ALLOWED_ORIGINS=<those> npm start`: the API admits the page's
  // cookie-carrying WebSocket upgrades (and nothing else changes).
  const origins = [...new Set([...config.ALLOWED_ORIGINS, ...webOrigins])];
  const apiConfig = loadConfigOrExit({ ...env, ALLOWED_ORIGINS: origins.join(',') });
  api = await startServer({ config: apiConfig, logger: createLogger(config.LOG_LEVEL) });

  const database = config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.EMBEDDED_DB_DIR}`;
  process.stdout.write(
    [
      '',
      `  studyclock web app  →  ${webOrigins[0]}/`,
      `  API                 →  ${api.origin}/graphql (${database})`,
      '',
      '  Open the app, sign up, add a subject and start a session. Ctrl-C stops both.',
      '',
      '',
    ].join('\n'),
  );
} catch (err) {
  process.stderr.write(`npm run web: could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stop();
  process.exit(1);
}
