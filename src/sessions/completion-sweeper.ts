import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { SessionService } from './session.service.js';

/** A running {@link startCompletionSweeper}. */
export interface CompletionSweeper {
  /** Stops the interval and resolves when the run in progress, if any, has finished. Idempotent. */
  close(): Promise<void>;
}

/**
 * Completes expired POMODORO and BREAK sessions nobody is reading, every `intervalMs`. Runs never overlap;
 * a failed run (database away) is logged and retried on the next interval.
 */
export function startCompletionSweeper(sessions: SessionService, clock: Clock, logger: Logger, intervalMs: number): CompletionSweeper {
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = sessions
      .completeExpired(clock.now())
      .then(
        (done) => {
          if (done.length > 0) logger.debug({ count: done.length }, 'completed expired sessions');
        },
        (err: unknown) => logger.warn({ err }, 'completion sweep failed'),
      )
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      return running;
    },
  };
}
