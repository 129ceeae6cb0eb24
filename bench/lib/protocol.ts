/**
 * Messages between the orchestrator (`bench/realtime.ts`) and its load-client worker processes
 * (`bench/load/worker.ts`), over the child-process IPC channel with `serialization: 'advanced'`
 * (so typed arrays travel as such).
 */

/** How a client talks to a server: the floor's bare protocol, or graphql-ws's. */
export type ClientProtocol = 'floor' | 'graphql-transport-ws';

/** One subscriber: a student, their log-in and their running session. */
export interface Subscriber {
  userId: string;
  /** The refresh-token family the access token names (`sid`). */
  familyId: string;
  sessionId: string;
  /**
   * Instant (ms since the epoch) from which this subscriber's ticks are counted: tick `k`
   * (payload `elapsedSeconds: k`) is scheduled at `originMs + k * 1000`.
   */
  originMs: number;
}

/** What a worker needs to sign studyclock-shaped access tokens (HS256). */
export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** How a worker opens a subscription (connect, authenticate, subscribe, first frame). */
export interface HandshakeSettings {
  url: string;
  protocol: ClientProtocol;
  subscribers: Subscriber[];
  /** Source address the worker's sockets bind to (127.x.y.z: each run and worker its own). */
  localAddress: string;
  /** Handshakes (connect to first frame) this worker keeps in flight at once. */
  concurrency: number;
  /** A subscription without its first frame after this long counts as failed. */
  connectTimeoutMs: number;
  tokens: TokenSettings;
}

/** Orchestrator → worker: open these subscriptions and keep them. */
export interface ConnectCommand extends HandshakeSettings {
  type: 'connect';
}

/**
 * Orchestrator → worker: `cycles` times, open a subscription (round the subscribers in order:
 * with more subscribers than handshakes in flight, no two at once are the same student's), and
 * once its first frame is in, close it and wait for the close.
 */
export interface CycleCommand extends HandshakeSettings {
  type: 'cycle';
  cycles: number;
}

/** Orchestrator → worker: count ticks scheduled in [fromMs, toMs). */
export interface MeasureCommand {
  type: 'measure';
  fromMs: number;
  toMs: number;
}

/** Every message a worker accepts. */
export type ToWorker = ConnectCommand | CycleCommand | MeasureCommand | { type: 'report' } | { type: 'close' };

/** Worker → orchestrator: the ramp is over (every subscription has its first frame or failed). */
export interface ConnectedMessage {
  type: 'connected';
  connected: number;
  failed: number;
  /** Failure reasons and how often each happened. */
  failures: Record<string, number>;
  /** Wall-clock instant of the last first frame (ms since the epoch). */
  lastFirstFrameAt: number;
}

/** Worker → orchestrator: the cycles are over. */
export interface CycledMessage {
  type: 'cycled';
  /** Cycles whose subscription had its first frame and then closed. */
  completed: number;
  failed: number;
  failures: Record<string, number>;
}

/** Worker → orchestrator: what its subscribers received in the measured window. */
export interface ReportMessage {
  type: 'report';
  /** Subscribers open at the window's start. */
  subscribers: number;
  /** Ticks scheduled in the window for those subscribers. */
  expected: number;
  /** Distinct ticks of the window received (by `elapsedSeconds`), however late. */
  received: number;
  /** Arrival minus scheduled instant, ms, one per received tick. */
  latenciesMs: Float64Array;
  /** |inter-arrival interval − 1 s|, ms, one per pair of consecutive ticks of the window. */
  jittersMs: Float64Array;
  /** Sockets that closed after their first frame (close code → count). */
  closedAfterConnect: Record<string, number>;
}

/** Every message a worker sends. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; connected: number; failed: number }
  | ConnectedMessage
  | CycledMessage
  | ReportMessage
  | { type: 'closed' }
  | { type: 'fatal'; message: string };
