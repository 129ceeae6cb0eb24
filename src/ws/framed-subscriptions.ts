import {
  createSourceEventStream,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
} from 'graphql';
import { MessageType } from 'graphql-ws';
import { WebSocket } from 'ws';
import { Channel } from '../realtime/channel.js';

/** Where one subscription's frames go: its socket and operation id, and how results are formatted. */
export interface FrameTarget {
  socket: WebSocket;
  /** The operation id of the `subscribe` message. */
  id: string;
  /**
   * Names the document, operation and variables: subscribers with the same key get the same
   * payload for the same event, so it is executed and serialised once for all of them.
   */
  key: string;
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
 * - Payloads are cached per event object (a `WeakMap`), so nothing outlives the event.
 */
export class FramedSubscriptions {
  readonly #targets = new WeakMap<object, FrameTarget>();
  readonly #payloads = new WeakMap<object, Map<string, string>>();

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
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      source.pipe({ next: (event) => this.#send(target, args, event), end: () => frames.end() });
    };
    const iterator: AsyncIterableIterator<never> = {
      next: () => (start(), frames.next()),
      return: () => frames.return(),
      throw: (err?: unknown) => frames.throw(err),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };

  #send(target: FrameTarget, args: ExecutionArgs, event: unknown): void {
    if (target.socket.readyState !== WebSocket.OPEN) return;
    const payload = this.#payload(target, args, event);
    target.socket.send(`{"id":${JSON.stringify(target.id)},"type":"${MessageType.Next}","payload":${payload}}`);
  }

  /** The serialised result of `event` for the target's document, computed at most once per event and key. */
  #payload(target: FrameTarget, args: ExecutionArgs, event: unknown): string {
    const byKey = typeof event === 'object' && event !== null ? this.#payloads.get(event) : undefined;
    const cached = byKey?.get(target.key);
    if (cached !== undefined) return cached;
    // The timer's fields resolve synchronously; a resolver that returned a promise would be a
    // schema change this fast path does not support, and fails loudly rather than slowly.
    const result = execute({ ...args, rootValue: event });
    if (result instanceof Promise) throw new Error('a subscription payload that resolves asynchronously');
    const payload = JSON.stringify(target.format(result));
    if (typeof event === 'object' && event !== null) {
      if (byKey) byKey.set(target.key, payload);
      else this.#payloads.set(event, new Map([[target.key, payload]]));
    }
    return payload;
  }
}

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
