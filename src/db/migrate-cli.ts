import { loadConfigOrExit } from '../config.js';
import { createLogger } from '../logger.js';
import { databaseTarget, openDatabase } from './database.js';
import { migrateDown, migrateToLatest } from './migrator.js';

// `npm run migrate` applies pending migrations; `npm run migrate -- down` reverts the last one.
const config = loadConfigOrExit(process.env);
const logger = createLogger(config.LOG_LEVEL);
const database = await openDatabase(databaseTarget(config), logger);
try {
  const direction = process.argv[2] === 'down' ? 'down' : 'up';
  const result = direction === 'down' ? await migrateDown(database.db) : await migrateToLatest(database.db);
  for (const r of result.results ?? []) logger.info({ migration: r.migrationName, direction: r.direction, status: r.status }, 'migration');
  if ((result.results ?? []).length === 0) logger.info('no migrations to apply');
} catch (err) {
  logger.fatal({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await database.close();
}
