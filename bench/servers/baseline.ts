import { createServer, type Server } from 'node:http';

/**
 * What both baseline servers read from their environment (set by the orchestrator): where to
 * listen, how to check tokens, and the instant their shared ticker counts from.
 */
export interface BaselineSettings {
  port: number;
  secret: string;
  issuer: string;
  audience: string;
  /** Tick `k` is scheduled at `tickOriginMs + k * 1000`. */
  tickOriginMs: number;
}

/** Reads {@link BaselineSettings}; exits with code 78 if one is missing. */
export function baselineSettings(env: NodeJS.ProcessEnv): BaselineSettings {
  const missing = ['PORT', 'JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE', 'TICK_ORIGIN_MS'].filter((name) => !env[name]);
  if (missing.length > 0) {
    process.stderr.write(`missing environment: ${missing.join(', ')}\n`);
    process.exit(78);
  }
  return {
    port: Number(env.PORT),
    secret: env.JWT_SECRET!,
    issuer: env.JWT_ISSUER!,
    audience: env.JWT_AUDIENCE!,
    tickOriginMs: Number(env.TICK_ORIGIN_MS),
  };
}

/** Called on each tick with its number and the instant it fired. */
export type TickListener = (tick: number, firedAtMs: number) => void;

/**
 * One process-wide 1 Hz ticker, shared by every subscriber: the issue's baselines ("one
 * ticker"). Fires at `originMs + k * 1000`; when it fires late by a second or more, the ticks
 * it slept through are skipped (and counted missed by the client), as studyclock's scheduler
 * also skips a second it could not show in time.
 */
export class SharedTicker {
  readonly #listeners = new Set<TickListener>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly originMs: number) {}

  /** The latest tick scheduled at or before now. */
  current(): number {
    return Math.floor((Date.now() - this.originMs) / 1000);
  }

  /** Adds a listener; returns its removal. */
  subscribe(listener: TickListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts ticking. */
  start(): void {
    this.#arm();
  }

  /** Stops ticking. */
  stop(): void {
    clearTimeout(this.#timer);
  }

  #arm(): void {
    const next = this.originMs + (this.current() + 1) * 1000;
    this.#timer = setTimeout(() => {
      const firedAt = Date.now();
      const tick = this.current();
      for (const listener of this.#listeners) listener(tick, firedAt);
      this.#arm();
    }, next - Date.now());
  }
}

/** An HTTP server answering `GET /healthz` (the orchestrator's readiness check) and 404 otherwise. */
export function healthServer(): Server {
  return createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' }).end();
  });
}

/** Closes `close` on SIGTERM/SIGINT and exits 0; the orchestrator SIGKILLs if it hangs. */
export function exitOnSignal(close: () => Promise<void> | void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void Promise.resolve(close()).finally(() => process.exit(0));
    });
  }
}
