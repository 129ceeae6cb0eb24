import cluster from 'node:cluster';
import { loadConfigOrExit } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './app/server.js';
import { runWorkers } from './app/workers.js';

// The process entry point: reads process.env (through loadConfigOrExit) and installs signal
// handlers. With WORKERS above 1 the first process is the primary (src/app/workers.ts), which
// runs this same file again in each worker; a worker serves as a single process does.
const config = loadConfigOrExit(process.env);

const rootLogger = createLogger(config.LOG_LEVEL);
if (config.WORKERS > 1 && cluster.isPrimary) {
  runWorkers(config, rootLogger);
} else {
  // The workers share one stdout: each line says which one wrote it.
  const logger = cluster.isWorker ? rootLogger.child({ instance: config.INSTANCE_ID }) : rootLogger;
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
}
