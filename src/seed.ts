import type { Clock } from './clock.js';
import { loadConfigOrExit } from './config.js';
import { databaseTarget, openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';
import { AppError } from './errors.js';
import { createLogger } from './logger.js';
import { createServices } from './app/services.js';
import { deriveSettings } from './app/settings.js';

// `npm run seed`: a demo student with subjects and a week of past sessions, on the configured
// database (the embedded one by default), then how to log in. Running it again changes nothing.

/** The demo account; the password passes the server's rules. */
export const DEMO = { email: 'demo@studyclock.dev', password: 'study-with-studyclock' } as const;

const SUBJECTS = ['Algebra', 'Biology', 'History'] as const;

/** A clock the seed moves through the past week; the services never read the wall clock. */
class SeedClock implements Clock {
  constructor(private at: number) {}
  now(): Date {
    return new Date(this.at);
  }
  advanceMinutes(minutes: number): void {
    this.at += minutes * 60_000;
  }
}

const config = loadConfigOrExit(process.env);
const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
const database = await openDatabase(databaseTarget(config), logger);
try {
  await migrateToLatest(database.db);
  const weekAgo = new Date();
  weekAgo.setUTCHours(8, 0, 0, 0);
  const clock = new SeedClock(weekAgo.getTime() - 7 * 24 * 3_600_000);
  const app = createServices({ db: database.db, settings: deriveSettings(config), clock, logger });
  const { services } = app;
  const origin = { ip: 'seed', userAgent: undefined };
  let created = true;
  try {
    await services.credentials.signUp(DEMO, origin);
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'EMAIL_TAKEN')) throw err;
    created = false;
  }
  if (created) {
    const { user } = await services.credentials.logIn(DEMO, origin);
    const subjects = [];
    for (const name of SUBJECTS) subjects.push(await services.subjects.create(user.id, { name }));
    // Each day: a finished pomodoro, and a free session with a pause, stopped.
    for (let day = 0; day < 7; day++) {
      const subject = subjects[day % subjects.length]!;
      const pomodoro = await services.sessions.start(user.id, { subjectId: subject.id, type: 'POMODORO', focusMinutes: 25 });
      clock.advanceMinutes(26);
      await services.sessions.completeExpired(clock.now(), { sessionId: pomodoro.id });
      clock.advanceMinutes(5);
      const free = await services.sessions.start(user.id, { subjectId: subjects[(day + 1) % subjects.length]!.id, type: 'FREE' });
      clock.advanceMinutes(20 + day * 5);
      await services.sessions.pause(user.id, free.id);
      clock.advanceMinutes(10);
      await services.sessions.resume(user.id, free.id);
      clock.advanceMinutes(15);
      await services.sessions.stop(user.id, free.id);
      clock.advanceMinutes(24 * 60 - 76 - day * 5);
    }
  }
  await app.close();
  const where = config.DATABASE_URL ? 'the database in DATABASE_URL' : `the embedded database in ${config.EMBEDDED_DB_DIR}`;
  process.stdout.write(
    `${created ? 'Seeded' : 'Already seeded'} ${where}.\n` +
      `Log in as ${DEMO.email} with password ${DEMO.password}:\n` +
      `  mutation { logIn(input: { email: "${DEMO.email}", password: "${DEMO.password}" }) { accessToken } }\n`,
  );
} finally {
  await database.close();
}
