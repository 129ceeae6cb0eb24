import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** What crosses instances: committed facts, never ticks (each instance computes those itself). */
export type ClusterEvent =
  /** A session was written at `version` (start, pause, resume, stop, completion, pause after disconnect). */
  | { type: 'session'; sessionId: string; userId: string; version: number }
  /** Every token of the log-in `familyId` stopped working (log-out, refresh-token reuse). */
  | { type: 'login'; familyId: string }
  /** Every token of the user stopped working (account disabled). */
  | { type: 'user'; userId: string }
  /** The user and every token of theirs are gone (account deleted). */
  | { type: 'userDeleted'; userId: string };

/** An event read from the stream, with the instant its publisher wrote it (ms since the epoch). */
export type HeardEvent = ClusterEvent & { publishedAt: number };

/** What the reader hands its batches and its gaps to. */
export interface StreamHandlers {
  /** Events other instances published, in stream order (this instance's own are skipped). */
  events(batch: HeardEvent[]): Promise<void>;
  /**
   * Entries may have been missed: the reader (re)connected, the stream was trimmed past where it
   * had read, or it is gone or reset (Redis restarted without persistence). The handler
   * reconciles against the database.
   */
  gap(reason: GapReason): Promise<void>;
}

/** Why the reader may have missed entries. */
export type GapReason = 'connected' | 'reconnected' | 'trimmed' | 'reset';

/** Where the stream lives and how it is read. */
export interface EventStreamSettings {
  redisUrl: string;
  /** The stream's key: `${REDIS_KEY_PREFIX}events`. */
  key: string;
  /** This instance: its own entries are skipped when read back. */
  instanceId: string;
  /** How long one blocking read waits for entries before it is issued again. */
  blockMs?: number;
  /** Entries kept (approximately): enough to ride out a reader's blip of minutes. */
  maxLength?: number;
}

/** Counters of the stream, for `/metrics`. Each only grows. */
export interface EventStreamCounters {
  published: number;
  publishFailures: number;
  heard: number;
  gaps: number;
}

/** The reader's state, as `/readyz` reports it. */
export type ReaderState = 'starting' | 'reading' | 'disconnected' | 'closed';

/** What `/readyz` reports of the stream: whether the appending connection is up, and the reader's state. */
export interface StreamReadiness {
  redis: boolean;
  stream: ReaderState;
}

const CONNECT_TIMEOUT_MS = 3_000;
/** What a reader command resolves to once the stream is closed. */
const STOPPED = Symbol('stopped');

/**
 * The cluster's one Redis Stream: every instance appends (`XADD … MAXLEN ~`) the facts it
 * committed, and reads everyone's with one blocking `XREAD` loop on a connection of its own.
 * Publishing is fire-and-forget after the commit (the database is the truth): a failed append
 * is counted and logged, never retried, and the readers' periodic reconcile repairs it. The
 * reader resumes from the last id it read after a blip; whenever it cannot be sure it missed
 * nothing it reports a gap.
 */
export class EventStream {
  readonly #publisher: Redis;
  readonly #reader: Redis;
  readonly #counters: EventStreamCounters = { published: 0, publishFailures: 0, heard: 0, gaps: 0 };
  readonly #blockMs: number;
  readonly #maxLength: number;
  #lastId: string | undefined;
  #state: ReaderState = 'starting';
  #recheck: GapReason | undefined = 'connected';
  #closed = false;
  #loop: Promise<void> | undefined;
  /** Settles when {@link close} is called: what the reader's commands race. */
  #stop!: () => void;
  readonly #stopped = new Promise<typeof STOPPED>((resolve) => (this.#stop = () => resolve(STOPPED)));
  #publishHealthy = true;
  #everReady = false;

  constructor(
    private readonly settings: EventStreamSettings,
    private readonly logger: Logger,
  ) {
    this.#blockMs = settings.blockMs ?? 5_000;
    this.#maxLength = settings.maxLength ?? 100_000;
    // Offline, an append fails at once instead of queueing behind the outage: the commit it
    // reports is done, and the reconcile will carry it.
    this.#publisher = new Redis(settings.redisUrl, { lazyConnect: true, enableOfflineQueue: false, connectTimeout: CONNECT_TIMEOUT_MS });
    // The reader waits for Redis however long it is away, and rechecks for a gap each time it is back.
    this.#reader = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS });
    this.#publisher.on('error', (err: Error) => {
      if (this.#publishHealthy) logger.error({ err }, 'Redis unavailable: changes reach other instances by reconcile until it is back');
      this.#publishHealthy = false;
    });
    this.#publisher.on('ready', () => {
      if (!this.#publishHealthy) logger.info('Redis available again: changes reach other instances through the stream');
      this.#publishHealthy = true;
    });
    this.#reader.on('error', () => {
      if (this.#state === 'reading') this.#state = 'disconnected';
    });
    this.#reader.on('ready', () => {
      if (this.#everReady) this.#recheck = 'reconnected';
      this.#everReady = true;
    });
  }

  /** Appends `event` (after its commit). Never throws; a failure is counted. */
  publish(event: ClusterEvent): void {
    const entry = JSON.stringify({ ...event, origin: this.settings.instanceId, at: Date.now() });
    this.#publisher.xadd(this.settings.key, 'MAXLEN', '~', String(this.#maxLength), '*', 'e', entry).then(
      () => void this.#counters.published++,
      (err: unknown) => {
        this.#counters.publishFailures++;
        if (this.#publishHealthy) this.logger.warn({ err, event: event.type }, 'could not publish a change to the cluster stream');
      },
    );
  }

  /**
   * Connects and starts the reader loop; resolves once the first read is issued, or after the
   * connect timeout when Redis is away (the loop goes on and reports a gap when it is back).
   */
  async start(handlers: StreamHandlers): Promise<void> {
    await Promise.all([this.#publisher.connect().catch(() => {}), this.#reader.connect().catch(() => {})]);
    let started!: () => void;
    const first = new Promise<void>((resolve) => (started = resolve));
    this.#loop = this.#read(handlers, started);
    await Promise.race([first, new Promise((resolve) => setTimeout(resolve, CONNECT_TIMEOUT_MS).unref())]);
  }

  get readiness(): StreamReadiness {
    return { redis: this.#publisher.status === 'ready', stream: this.#state };
  }

  get counters(): Readonly<EventStreamCounters> {
    return { ...this.#counters };
  }

  /** Stops reading and quits both connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    // ioredis does not reject a command queued while it is reconnecting when it is disconnected
    // then (it would wait for ever): the loop stops on this signal instead.
    this.#stop();
    this.#reader.disconnect();
    await this.#loop;
    // QUIT lets appends in flight finish; a Redis that has gone silent gets a second, then the cut.
    if (this.#publisher.status === 'ready') {
      const quit = this.#publisher.quit().catch(() => {});
      await Promise.race([quit, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    }
    this.#publisher.disconnect();
  }

  async #read(handlers: StreamHandlers, started: () => void): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      try {
        const reason = this.#recheck;
        if (reason) {
          this.#recheck = undefined;
          const gap = await this.#unlessStopped(this.#checkGap(reason));
          if (gap === STOPPED) break;
          if (gap) {
            this.#counters.gaps++;
            await handlers.gap(gap);
          }
        }
        this.#state = 'reading';
        started();
        const reply = (await this.#unlessStopped(this.#reader.xread('COUNT', 500, 'BLOCK', this.#blockMs, 'STREAMS', this.settings.key, this.#lastId!))) as
          | [string, [string, string[]][]][]
          | null
          | typeof STOPPED;
        if (reply === STOPPED) break;
        failures = 0;
        const entries = reply?.[0]?.[1] ?? [];
        const batch: HeardEvent[] = [];
        for (const [id, fields] of entries) {
          this.#lastId = id;
          const event = parseEntry(fields, this.settings.instanceId);
          if (event) batch.push(event);
        }
        if (batch.length > 0) {
          this.#counters.heard += batch.length;
          await handlers.events(batch);
        }
      } catch (err) {
        if (this.#closed) break;
        this.#state = 'disconnected';
        this.#recheck ??= 'reconnected';
        if (failures++ === 0) this.logger.warn({ err }, 'cluster stream reader failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(failures, 5))).unref());
      }
    }
  }

  /** `command`'s result, or {@link STOPPED} once the stream is closed, whichever comes first. */
  #unlessStopped<T>(command: Promise<T>): Promise<T | typeof STOPPED> {
    command.catch(() => {});
    return Promise.race([command, this.#stopped]);
  }

  /**
   * Where to read from after (re)connecting, and whether anything may have been missed. At the
   * first connection: from the newest entry, and the caller reconciles (its subscribers loaded
   * their state from the database anyway, but a reconcile costs one query).
   */
  async #checkGap(reason: GapReason): Promise<GapReason | undefined> {
    const info = await streamInfo(this.#reader, this.settings.key);
    if (this.#lastId === undefined) {
      this.#lastId = info?.lastGeneratedId ?? '0-0';
      return reason;
    }
    if (!info) {
      // Gone (Redis restarted empty, or the key was deleted): read whatever is written from now.
      this.#lastId = '0-0';
      return 'reset';
    }
    if (compareIds(info.lastGeneratedId, this.#lastId) < 0) {
      this.#lastId = '0-0';
      return 'reset';
    }
    if (info.firstEntryId && compareIds(info.firstEntryId, this.#lastId) > 0 && this.#lastId !== '0-0') return 'trimmed';
    return reason === 'reconnected' ? reason : undefined;
  }
}

async function streamInfo(redis: Redis, key: string): Promise<{ lastGeneratedId: string; firstEntryId: string | undefined } | undefined> {
  let reply: unknown[];
  try {
    reply = (await redis.call('XINFO', 'STREAM', key)) as unknown[];
  } catch (err) {
    if (err instanceof Error && /no such key/i.test(err.message)) return undefined;
    throw err;
  }
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const first = fields.get('first-entry') as [string, unknown] | null | undefined;
  return { lastGeneratedId: String(fields.get('last-generated-id') ?? '0-0'), firstEntryId: first ? String(first[0]) : undefined };
}

/** Orders two stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

/** The event of an entry's fields, or undefined for this instance's own or an unreadable one. */
function parseEntry(fields: string[], self: string): HeardEvent | undefined {
  const raw = fields[0] === 'e' ? fields[1] : undefined;
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as HeardEvent & { origin?: string; at?: number };
    if (value.origin === self) return undefined;
    const { origin: _origin, at, ...event } = value;
    return { ...event, publishedAt: typeof at === 'number' ? at : Date.now() } as HeardEvent;
  } catch {
    return undefined;
  }
}
