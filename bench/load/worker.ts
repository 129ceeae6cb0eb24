/**
 * One load-client process: opens its share of the subscriptions (the orchestrator spreads them
 * over several processes, each under the open-files limit) and records what arrives. Driven by
 * the orchestrator over IPC (see ../lib/protocol.ts); exits when told or when its parent goes.
 *
 * Ticks are read without JSON.parse (a search for `"elapsedSeconds":` in the raw frame), so the
 * client spends as little CPU as possible on the cores it shares with the server.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { inLanes } from '../lib/lanes.js';
import type { ConnectCommand, CycleCommand, FromWorker, HandshakeSettings, MeasureCommand, Subscriber, ToWorker } from '../lib/protocol.js';
import { signAccessToken } from '../lib/tokens.js';

const SUBSCRIBE_QUERY =
  'subscription Timer($sessionId: ID!) { timerUpdated(sessionId: $sessionId) { sessionId status elapsedSeconds remainingSeconds serverTime } }';
const ELAPSED_KEY = Buffer.from('"elapsedSeconds":');

/** One subscription and what arrived on it. */
interface Subscription {
  readonly subscriber: Subscriber;
  socket?: WebSocket;
  firstFrameAt?: number;
  closedAt?: number;
  lastTick: number;
  lastArrival: number;
}

const send = (message: FromWorker) => process.send!(message);
// Wall-clock milliseconds with sub-millisecond resolution, on the clock the servers schedule
// ticks by (Date.now). `performance.timeOrigin + now()` can be off it by a millisecond or so,
// so the offset is taken at instants Date.now() turns over to its next millisecond. A sample
// can only come out low (this process descheduled between the two reads, on a busy machine),
// never high: the largest of several is the truest.
const clockOffset = (() => {
  let best = -Infinity;
  for (let i = 0; i < 20; i++) {
    const start = Date.now();
    let turned = start;
    while (turned === start) turned = Date.now();
    best = Math.max(best, turned - performance.now());
  }
  return best;
})();
const now = () => clockOffset + performance.now();

const subscriptions: Subscription[] = [];
let window: MeasureCommand | undefined;
const latencies: number[] = [];
const jitters: number[] = [];
let received = 0;
const closedAfterConnect: Record<string, number> = {};

function readTick(data: Buffer): number | undefined {
  const at = data.indexOf(ELAPSED_KEY);
  if (at < 0) return undefined;
  let value = 0;
  for (let i = at + ELAPSED_KEY.length; i < data.length; i++) {
    const digit = data[i]! - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

function onTick(subscription: Subscription, tick: number, arrival: number): void {
  const { lastTick, lastArrival } = subscription;
  if (tick <= lastTick) return; // a repeat of a tick already counted
  subscription.lastTick = tick;
  subscription.lastArrival = arrival;
  if (!window) return;
  const scheduled = subscription.subscriber.originMs + tick * 1000;
  if (scheduled < window.fromMs || scheduled >= window.toMs) return;
  received++;
  latencies.push(arrival - scheduled);
  if (tick === lastTick + 1 && subscription.subscriber.originMs + lastTick * 1000 >= window.fromMs) {
    jitters.push(Math.abs(arrival - lastArrival - 1000));
  }
}

/** Opens one subscription; resolves with a failure reason, or undefined once its first frame is in. */
function open(command: HandshakeSettings, subscription: Subscription): Promise<string | undefined> {
  return new Promise((resolve) => {
    const graphqlWs = command.protocol === 'graphql-transport-ws';
    const token = signAccessToken(command.tokens, subscription.subscriber.userId, subscription.subscriber.familyId);
    const socket = new WebSocket(command.url, graphqlWs ? 'graphql-transport-ws' : undefined, {
      localAddress: command.localAddress,
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: command.connectTimeoutMs,
    });
    subscription.socket = socket;
    let settled = false;
    const settle = (failure: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure) socket.terminate();
      resolve(failure);
    };
    const timer = setTimeout(() => settle('no first frame in time'), command.connectTimeoutMs);
    socket.on('open', () => {
      socket.send(JSON.stringify(graphqlWs ? { type: 'connection_init', payload: { token } } : { token }));
    });
    socket.on('message', (data: Buffer) => {
      const arrival = now();
      if (subscription.firstFrameAt !== undefined) {
        const tick = readTick(data);
        if (tick !== undefined) return onTick(subscription, tick, arrival);
      }
      if (!graphqlWs) {
        subscription.firstFrameAt = arrival;
        subscription.lastTick = readTick(data) ?? -1;
        return settle(undefined);
      }
      const message = JSON.parse(data.toString()) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIBE_QUERY, variables: { sessionId: subscription.subscriber.sessionId } } }));
      } else if (message.type === 'next' && subscription.firstFrameAt === undefined) {
        subscription.firstFrameAt = arrival;
        subscription.lastTick = readTick(data) ?? -1;
        settle(undefined);
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'error' || message.type === 'complete') {
        settle(`${message.type} ${JSON.stringify(message.payload ?? null).slice(0, 120)}`);
      }
    });
    socket.on('error', (err) => settle(err.message.slice(0, 120)));
    socket.on('close', (code, reason) => {
      subscription.closedAt = now();
      if (subscription.firstFrameAt !== undefined && settled) {
        const key = String(code);
        closedAfterConnect[key] = (closedAfterConnect[key] ?? 0) + 1;
      }
      settle(`closed ${code} ${reason.toString()}`.trim());
    });
  });
}

async function connectAll(command: ConnectCommand): Promise<void> {
  for (const subscriber of command.subscribers) subscriptions.push({ subscriber, lastTick: -1, lastArrival: 0 });
  let connected = 0;
  let failed = 0;
  let lastFirstFrameAt = 0;
  const failures: Record<string, number> = {};
  const progress = setInterval(() => send({ type: 'progress', connected, failed }), 1_000);
  await inLanes(subscriptions, command.concurrency, async (subscription) => {
    const failure = await open(command, subscription);
    if (failure === undefined) {
      connected++;
      lastFirstFrameAt = Math.max(lastFirstFrameAt, subscription.firstFrameAt!);
    } else {
      failed++;
      failures[failure] = (failures[failure] ?? 0) + 1;
    }
  });
  clearInterval(progress);
  send({ type: 'connected', connected, failed, failures, lastFirstFrameAt });
}

/** Closes a socket from this side and resolves once the close handshake is over. */
function closeAndWait(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', () => resolve());
    socket.close(1000);
  });
}

async function cycle(command: CycleCommand): Promise<void> {
  let completed = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  const cycles = Array.from({ length: command.cycles }, (_, i) => i);
  await inLanes(cycles, command.concurrency, async (i) => {
    const subscription: Subscription = { subscriber: command.subscribers[i % command.subscribers.length]!, lastTick: -1, lastArrival: 0 };
    const failure = await open(command, subscription);
    if (failure !== undefined) {
      failed++;
      failures[failure] = (failures[failure] ?? 0) + 1;
      return;
    }
    await closeAndWait(subscription.socket!);
    completed++;
  });
  send({ type: 'cycled', completed, failed, failures });
}

function report(): void {
  if (!window) throw new Error('report before measure');
  const { fromMs, toMs } = window;
  let open = 0;
  let expected = 0;
  for (const { subscriber, firstFrameAt, closedAt } of subscriptions) {
    // Counted if it was up when the window opened; if it closes during it, its ticks are missed.
    if (firstFrameAt === undefined || (closedAt !== undefined && closedAt < fromMs)) continue;
    open++;
    expected += Math.ceil((toMs - subscriber.originMs) / 1000) - Math.ceil((fromMs - subscriber.originMs) / 1000);
  }
  send({
    type: 'report',
    subscribers: open,
    expected,
    received,
    latenciesMs: Float64Array.from(latencies),
    jittersMs: Float64Array.from(jitters),
    closedAfterConnect,
  });
}

function closeAll(): void {
  for (const { socket } of subscriptions) socket?.terminate();
  process.send!({ type: 'closed' } satisfies FromWorker, () => process.exit(0));
}

process.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'connect':
        connectAll(message).catch((err: unknown) => send({ type: 'fatal', message: String(err) }));
        break;
      case 'cycle':
        cycle(message).catch((err: unknown) => send({ type: 'fatal', message: String(err) }));
        break;
      case 'measure':
        window = message;
        break;
      case 'report':
        report();
        break;
      case 'close':
        closeAll();
        break;
    }
  } catch (err) {
    send({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
// The orchestrator went away (killed, crashed): nothing left to report to.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
