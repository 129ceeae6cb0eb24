import {
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
} from 'graphql';
import { MessageType } from 'graphql-ws';
import { WebSocket } from 'ws';
import { type CompiledPayload, compilePayload, NOT_COMPILED } from '../graphql/compiled-payload.js';
import { Channel, type ChannelSink } from '../realtime/channel.js';

/** Where one subscription's frames go: its socket and operation id, and how results are formatted. */
export interface FrameTarget {
  socket: WebSocket;
  /** The operation id of the `subscribe` message. */
  id: string;
  /** Formats a result's errors as the transport does for any other result. */
  format: (result: ExecutionResult) => FormattedExecutionResult;
}

/**
 * The WebSocket side's `subscribe` for graphql-ws: subscriptions whose events reach every
 * subscriber as one shared object (the timer feed's ticks) are executed once per event and
 * distinct document, serialised once, and written to each socket as a ready `next` frame,
 * without graphql-ws's per-message work (execute, onNext, stringify) per subscriber.
 *
 * - The source stream is created as graphql-js does (`createSourceEventStream`: the
 *   subscription's `subscribe` resolver runs, with its ownership check). A refusal there (a
 *   foreign or missing session: NOT_FOUND) becomes a protocol `error` message, never a `next`
 *   a client could take for a result.
 * - Frames start when graphql-ws starts reading (the operation is registered by then), and the
 *   returned iterator ends when the source ends, so graphql-ws sends `complete` after the last
 *   frame; its `return()` (client `complete`, socket closed) releases the source at once.
 * - A document {@link compilePayload} can compile (the timer's) is rendered without `execute`;
 *   any other, and any event the compiled form cannot render exactly, is executed.
 * - Payloads are cached for the event being delivered (events are immutable and published to a
 *   session's subscribers in a row): one per compiled document, or one per document, operation
 *   and variables when executed.
 */
export class FramedSubscriptions {
  readonly #targets = new WeakMap<object, FrameTarget>();
  /**
   * The payloads of the event being delivered: a publish hands one event to all of a session's
   * subscribers in a row, so the last event's payloads are all a cache needs (no allocation per
   * event; the first key in two fields, others in `more`).
   */
  readonly #cache: { event: unknown; key: PayloadKey | undefined; payload: string; more: Map<PayloadKey, string> } = {
    event: undefined,
    key: undefined,
    payload: '',
    more: new Map(),
  };
  /** Per document seen: a number naming it in payload keys, and its compiled payloads by operation name (null: not compilable). */
  readonly #documents = new WeakMap<DocumentNode, { number: number; compiled: Map<string, CompiledPayload | null> }>();
  #documentsSeen = 0;

  /** Says where the frames of the operation run with `contextValue` go. */
  target(contextValue: object, target: FrameTarget): void {
    this.#targets.set(contextValue, target);
  }

  /** graphql-ws's `subscribe` option. */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<never> | ExecutionResult> => {
    const target = typeof args.contextValue === 'object' && args.contextValue !== null ? this.#targets.get(args.contextValue) : undefined;
    if (!target) throw new Error('a WebSocket subscription without a frame target');
    const source = await createSourceEventStream(args);
    if (!(source instanceof Channel)) {
      if (Symbol.asyncIterator in source) throw new Error('a subscription whose source is not a Channel');
      return refusal(source.errors ?? [new GraphQLError('Subscription failed')]);
    }
    return new FrameStream(this, source, target, `{"id":${JSON.stringify(target.id)},"type":"${MessageType.Next}","payload":`, this.#payloadOf(args));
  };

  /** Writes `event` as a `next` frame of `stream`'s subscription (for {@link FrameStream}). */
  send(stream: FrameStream, event: unknown): void {
    const { target } = stream;
    if (target.socket.readyState !== WebSocket.OPEN) return;
    target.socket.send(Buffer.from(`${stream.prefix}${this.#payload(target, stream.payload, event)}}`), SEND_TEXT);
  }

  /** The serialised result of `event` for the subscription's document, computed at most once per event and key. */
  #payload(target: FrameTarget, { key, render, args }: Payload, event: unknown): string {
    const cache = this.#cache;
    if (event !== cache.event) {
      cache.event = event;
      cache.key = undefined;
      cache.more.clear();
    }
    const cached = key === cache.key ? cache.payload : cache.more.get(key);
    if (cached !== undefined) return cached;
    let payload = render ? render(event) : NOT_COMPILED;
    if (payload === NOT_COMPILED) {
      // The timer's fields resolve synchronously; a resolver that returned a promise would be a
      // schema change this fast path does not support, and fails loudly rather than slowly.
      const result = execute({ ...args, rootValue: event });
      if (result instanceof Promise) throw new Error('a subscription payload that resolves asynchronously');
      payload = JSON.stringify(target.format(result));
    }
    if (cache.key === undefined) {
      cache.key = key;
      cache.payload = payload;
    } else {
      cache.more.set(key, payload);
    }
    return payload;
  }

  /** How the subscription of `args` renders: compiled (compiled once per document and operation), or executed. */
  #payloadOf(args: ExecutionArgs): Payload {
    let document = this.#documents.get(args.document);
    if (!document) this.#documents.set(args.document, (document = { number: ++this.#documentsSeen, compiled: new Map() }));
    const name = args.operationName ?? '';
    let compiled = document.compiled.get(name);
    if (compiled === undefined) document.compiled.set(name, (compiled = compilePayload(args.schema, args.document, args.operationName) ?? null));
    if (compiled) return { key: compiled, render: compiled, args };
    return { key: `${document.number}\n${name}\n${JSON.stringify(args.variableValues ?? {})}`, render: undefined, args };
  }
}

const SEND_TEXT = { binary: false, compress: false, fin: true } as const;
const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * One subscription as graphql-ws reads it: an iterator that yields nothing (its frames go
 * straight to the socket) and ends when the source does. Its first `next()` pipes the source
 * into it; `return()` (client `complete`, socket closed) releases the source at once and
 * settles the pending `next()`. One object with its methods on the prototype: an iterator of
 * closures cost each subscription eight functions, their contexts and a second Channel.
 */
class FrameStream implements AsyncIterableIterator<never>, ChannelSink<unknown> {
  #started = false;
  #ended = false;
  /** graphql-ws's pending `next()`. */
  #waiting: ((result: IteratorResult<never>) => void) | undefined;

  constructor(
    private readonly frames: FramedSubscriptions,
    private readonly source: Channel<unknown>,
    readonly target: FrameTarget,
    /** The frame up to its payload: `{"id":…,"type":"next","payload":`. */
    readonly prefix: string,
    readonly payload: Payload,
  ) {}

  next(): Promise<IteratorResult<never>> {
    if (!this.#started) {
      this.#started = true;
      this.source.pipe(this);
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  return(): Promise<IteratorResult<never>> {
    this.#end();
    void this.source.return();
    return Promise.resolve(DONE);
  }

  throw(err?: unknown): Promise<IteratorResult<never>> {
    void this.return();
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The source's events (ChannelSink). */
  deliver(event: unknown): void {
    this.frames.send(this, event);
  }

  /** The source has ended (ChannelSink): graphql-ws's read ends, and it sends `complete`. */
  end(): void {
    this.#end();
  }

  #end(): void {
    this.#ended = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(DONE);
  }
}

/**
 * How one subscription's payloads are rendered: `render` when its document compiled, else
 * `execute` with `args`; `key` names the payload in the per-event cache (the compiled function,
 * or document, operation and variables).
 */
interface Payload {
  key: PayloadKey;
  render: CompiledPayload | undefined;
  args: ExecutionArgs;
}
type PayloadKey = CompiledPayload | string;

/**
 * An iterator whose first `next()` rejects with the first refusal: graphql-ws answers it with a
 * protocol `error` message (formatted by its `onError`, which unwraps graphql-ws's own wrapper
 * so that the code and path of the refusal reach the client).
 */
function refusal(errors: readonly GraphQLError[]): AsyncIterableIterator<never> {
  const thrown = errors[0]!;
  let done = false;
  return {
    next: () => (done ? Promise.resolve({ value: undefined, done: true }) : ((done = true), Promise.reject(thrown))),
    return: () => ((done = true), Promise.resolve({ value: undefined, done: true })),
    throw: (err?: unknown) => Promise.reject(err),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
