import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/app/server.js';

// A whole server in a process of its own, as `src/main.ts` starts it, but on a clock the parent
// test sets: frozen at TEST_CLOCK_MS, and at every `{ clockMs }` the parent sends (answered with
// the same message once it holds). For a test that kills a real process (SIGKILL: nothing of the
// server runs after it) among members that share the test's manual clock. No signal handlers:
// the parent only ever kills it.

const at = { ms: Number(process.env.TEST_CLOCK_MS) };
if (!Number.isFinite(at.ms)) throw new Error('TEST_CLOCK_MS must be an instant in milliseconds');
const clock = { now: () => new Date(at.ms) };
process.on('message', (message: { clockMs: number }) => {
  at.ms = message.clockMs;
  process.send!(message);
});

const config = loadConfig(process.env);
await startServer({ config, clock, logger: createLogger(config.LOG_LEVEL) });
