import { loadConfigOrExit } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './app/server.js';

// The process entry point: reads process.env (through loadConfigOrExit) and installs signal
// handlers.
const config = loadConfigOrExit(process.env);

const logger = createLogger(config.LOG_LEVEL);
const server = await startServer({ config, logger }).catch((err: unknown) => {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
});

let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'signal received');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  });
}
