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
import type { WebSocket } from 'ws';
import { type CompiledPayload, compilePayload, NOT_COMPILED } from '../graphql/compiled-payload.js';
import { Channel, type ChannelSink } from '../realtime/channel.js';
import { sendTextFrame } from './text-frames.js';

/** What a subscription's frames are written for: its socket's protocol session. */
export interface FrameOwner {
  readonly socket: WebSocket;
  /** The stream of operation `id` has ended after its last frame: the operation is complete. */
  streamEnded(id: string, stream: FrameStream): void;
}

/**
 * The subscriptions of the WebSocket side: subscriptions whose events reach every subscriber as
 * one shared object (the timer feed's ticks) are executed once per event and distinct
 * document, serialised once, and written to each socket as a ready `next` frame, without work
 * per message and subscriber (execute, format, stringify).
 *
 * - The source stream is created as graphql-js does (`createSourceEventStream`: the
 *   subscription's `subscribe` resolver runs, with its ownership check). A refusal there (a
 *   foreign or missing session: NOT_FOUND) is returned as errors, for a protocol `error`
 *   message, never a `next` a client could take for a result.
 * - Frames start when the protocol session calls {@link FrameStream.start} (the operation is
 *   registered by then), and the owner hears when the source ends, after the last frame, to
 *   send `complete`; {@link FrameStream.stop} (client `complete`, socket closed) releases the
 *   source at once.
 * - A document {@link compilePayload} can compile (the timer's) is rendered without `execute`;
 *   any other, and any event the compiled form cannot render exactly, is executed.
 * - Payloads are cached for the event being delivered (events are immutable and published to a
 *   session's subscribers in a row): one per compiled document, or one per document, operation
 *   and variables when executed.
 */
export class FramedSubscriptions {
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
  /**
   * Per document seen: a number naming it in payload keys, and its compiled payloads by
   * operation name (null: not compilable), each one object shared by every subscription of it.
   */
  readonly #documents = new WeakMap<DocumentNode, { number: number; compiled: Map<string, Payload | null> }>();
  #documentsSeen = 0;

  /** @param format formats an executed result's errors as the transport does for any other result. */
  constructor(private readonly format: (result: ExecutionResult) => FormattedExecutionResult) {}

  /**
   * Opens the subscription `args` of operation `id` for `owner`: its stream, not yet started,
   * or the errors that refused it.
   */
  async open(args: ExecutionArgs, owner: FrameOwner, id: string): Promise<FrameStream | readonly GraphQLError[]> {
    const source = await createSourceEventStream(args);
    if (!(source instanceof Channel)) {
      if (Symbol.asyncIterator in source) throw new Error('a subscription whose source is not a Channel');
      return source.errors ?? [new GraphQLError('Subscription failed')];
    }
    return new FrameStream(this, source, owner, id, `{"id":${JSON.stringify(id)},"type":"${MessageType.Next}","payload":`, this.#payloadOf(args));
  }

  /** Writes `event` as a `next` frame of `stream`'s subscription (for {@link FrameStream}). */
  send(stream: FrameStream, event: unknown): void {
    sendTextFrame(stream.owner.socket, `${stream.prefix}${this.#payload(stream.payload, event)}}`);
  }

  /** The serialised result of `event` for the subscription's document, computed at most once per event and key. */
  #payload({ key, render, args }: Payload, event: unknown): string {
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
      payload = JSON.stringify(this.format(result));
    }
    if (cache.key === undefined) {
      cache.key = key;
      cache.payload = payload;
    } else {
      cache.more.set(key, payload);
    }
    return payload;
  }

  /**
   * How the subscription of `args` renders: compiled (compiled once per document and operation,
   * and then one Payload for all its subscriptions), or executed with `args`.
   */
  #payloadOf(args: ExecutionArgs): Payload {
    let document = this.#documents.get(args.document);
    if (!document) this.#documents.set(args.document, (document = { number: ++this.#documentsSeen, compiled: new Map() }));
    const name = args.operationName ?? '';
    let compiled = document.compiled.get(name);
    if (compiled === undefined) {
      const render = compilePayload(args.schema, args.document, args.operationName);
      // Its fields have no resolvers of their own and no variables: executing it (an event the
      // compiled form cannot render) needs the document only, and no subscriber's context.
      const { schema, document: ast, operationName } = args;
      document.compiled.set(name, (compiled = render ? { key: render, render, args: { schema, document: ast, operationName } } : null));
    }
    if (compiled) return compiled;
    return { key: `${document.number}\n${name}\n${JSON.stringify(args.variableValues ?? {})}`, render: undefined, args };
  }
}

/**
 * One subscription's frames: its source piped straight to the socket. {@link start} pipes the
 * source (its buffered first state first); when the source ends, the owner hears it after the
 * last frame; {@link stop} releases the source at once. One object with its methods on the
 * prototype: closures per subscription cost it a few hundred bytes.
 */
export class FrameStream implements ChannelSink<unknown> {
  #ended = false;

  constructor(
    private readonly frames: FramedSubscriptions,
    private readonly source: Channel<unknown>,
    readonly owner: FrameOwner,
    /** The operation id of the `subscribe` message. */
    readonly id: string,
    /** The frame up to its payload: `{"id":…,"type":"next","payload":`. */
    readonly prefix: string,
    readonly payload: Payload,
  ) {}

  /** Starts the frames (the operation is registered by now). */
  start(): void {
    this.source.pipe(this);
  }

  /** Releases the source (client `complete`, socket closed); the owner is not told. */
  stop(): void {
    this.#ended = true;
    void this.source.return();
  }

  /** The source's events (ChannelSink). */
  deliver(event: unknown): void {
    this.frames.send(this, event);
  }

  /** The source has ended (ChannelSink): the owner sends `complete`. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.owner.streamEnded(this.id, this);
  }
}

/**
 * How one subscription's payloads are rendered: `render` when its document compiled, else
 * `execute` with `args`; `key` names the payload in the per-event cache (the compiled function,
 * or document, operation and variables). A compiled one is shared by every subscription of its
 * document and operation, and its `args` are the schema and document only.
 */
interface Payload {
  key: PayloadKey;
  render: CompiledPayload | undefined;
  args: ExecutionArgs;
}
type PayloadKey = CompiledPayload | string;
