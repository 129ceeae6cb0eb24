/**
 * Messages between the scale-out benchmark (`bench/scale-out.ts`) and its change process
 * (`bench/load/changes.ts`), over the child-process IPC channel with `serialization: 'advanced'`.
 */
import type { Subscriber, TokenSettings } from './protocol.js';

/** Orchestrator → change process: subscribe to these students' timers on `wsUrl`; change them through `httpUrl`. */
export interface StartChanges {
  type: 'start';
  /** `ws://…/graphql` of the instance the subscriptions (and churned sockets) are on. */
  wsUrl: string;
  /** `http://…/graphql` of the instance the mutations go to. */
  httpUrl: string;
  watched: Subscriber[];
  tokens: TokenSettings;
  localAddress: string;
}

/** Every message the change process accepts. */
export type ToChangeWorker =
  | StartChanges
  /** Pause or resume (alternately, round-robin over the watched sessions) `rate` times a second in [fromMs, toMs). */
  | { type: 'changes'; rate: number; fromMs: number; toMs: number }
  /** Open `rate` sockets a second in [fromMs, toMs) for these students, each closed `holdMs` after its ack. */
  /** Pause every watched session (so that they do not tick), and wait until each subscriber shows it. */
  | { type: 'pause-all' }
  | { type: 'churn'; students: Subscriber[]; rate: number; fromMs: number; toMs: number; holdMs: number }
  | { type: 'close' };

/** What a run of changes gave. */
export interface ChangeReport {
  type: 'changes';
  changes: number;
  /** Changes sent per second, from the first to the last (lower than asked if the server fell behind). */
  perSecond: number;
  /** Mutations that failed, by status and message. */
  errors: Record<string, number>;
  /** Successful changes no frame reported within 5 s. */
  lost: number;
  /** Frames that repeated the state before them (same status, same second), over all subscribers since the start. */
  duplicates: number;
  /** Mutation sent → its frame on the watching instance: an upper bound of commit → frame. */
  sentToFrameMs: Float64Array;
  /** Mutation answered → its frame (negative when the frame came first): a lower bound. */
  answeredToFrameMs: Float64Array;
  /** Mutation sent → answered. */
  sentToAnswerMs: Float64Array;
}

/** What a churn run gave. */
export interface ChurnReport {
  type: 'churn';
  opened: number;
  closed: number;
  failures: Record<string, number>;
}

/** Every message the change process sends. */
export type FromChangeWorker =
  | { type: 'ready' }
  | { type: 'watching'; subscriptions: number }
  | { type: 'paused'; sessions: number }
  | ChangeReport
  | ChurnReport
  | { type: 'closed' }
  | { type: 'fatal'; message: string };
