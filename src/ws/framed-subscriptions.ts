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
import { Channel } from '../realtime/channel.js';

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
    const frames = new Channel<never>(() => void source.return());
    const payload = this.#payloadOf(args);
    const prefix = `{"id":${JSON.stringify(target.id)},"type":"${MessageType.Next}","payload":`;
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      source.pipe({ next: (event) => this.#send(target, prefix, payload, event), end: () => frames.end() });
    };
    const iterator: AsyncIterableIterator<never> = {
      next: () => (start(), frames.next()),
      return: () => frames.return(),
      throw: (err?: unknown) => frames.throw(err),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };

  #send(target: FrameTarget, prefix: string, payload: Payload, event: unknown): void {
    if (target.socket.readyState !== WebSocket.OPEN) return;
    target.socket.send(Buffer.from(`${prefix}${this.#payload(target, payload, event)}}`), SEND_TEXT);
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
