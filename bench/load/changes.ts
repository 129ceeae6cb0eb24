/**
 * The scale-out benchmark's change process (driven by `bench/scale-out.ts` over IPC, see
 * ../lib/change-protocol.ts): it holds one `timerUpdated` subscription per change student on
 * the *watching* instance, changes those sessions over HTTP on the *changing* instance (pause,
 * resume, alternately, paced at a fixed rate), and matches each change to the frame that
 * reported it. It also churns sockets (open, authenticate, close) for the presence figures.
 *
 * Subscriptions and mutations share this process so that "sent", "answered" and "frame
 * arrived" are read on one clock.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { ChangeReport, ChurnReport, FromChangeWorker, StartChanges, ToChangeWorker } from '../lib/change-protocol.js';
import { inLanes } from '../lib/lanes.js';
import type { Subscriber, TokenSettings } from '../lib/protocol.js';
import { signAccessToken } from '../lib/tokens.js';

const SUBSCRIBE_QUERY = 'subscription Timer($sessionId: ID!) { timerUpdated(sessionId: $sessionId) { status elapsedSeconds } }';
const PAUSE = 'mutation Pause($id: ID!) { pauseSession(sessionId: $id) { status } }';
const RESUME = 'mutation Resume($id: ID!) { resumeSession(sessionId: $id) { status } }';
/** A change whose frame has not arrived this long after it was sent is counted as lost. */
const LOST_AFTER_MS = 5_000;
/** Mutations in flight at once; a change due while all are busy waits (and is measured from when it went). */
const IN_FLIGHT = 64;
/** Change subscriptions opened at once. */
const WATCH_CONCURRENCY = 50;

type Status = 'RUNNING' | 'PAUSED';

interface Watched {
  readonly subscriber: Subscriber;
  readonly token: string;
  socket?: WebSocket;
  /** As the frames show it. */
  status?: string;
  elapsed?: number;
  /** As the changes sent so far leave it (the frames may not show it yet). */
  wanted?: Status;
  /** Status transitions seen: [arrival ms, status]. */
  transitions: [number, string][];
  duplicates: number;
}

interface Change {
  watched: Watched;
  target: Status;
  sentAt: number;
  answeredAt?: number;
  error?: string;
}

const send = (message: FromChangeWorker) => process.send!(message);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let watched: Watched[] = [];
let start: StartChanges | undefined;
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function onFrame(w: Watched, data: Buffer, arrival: number, ready: () => void, fail: (why: string) => void): void {
  const message = JSON.parse(data.toString()) as { type: string; payload?: { data?: { timerUpdated?: { status: string; elapsedSeconds: number } } } };
  if (message.type === 'connection_ack') {
    w.socket!.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIBE_QUERY, variables: { sessionId: w.subscriber.sessionId } } }));
  } else if (message.type === 'ping') {
    w.socket!.send('{"type":"pong"}');
  } else if (message.type === 'next') {
    const timer = message.payload?.data?.timerUpdated;
    if (!timer) return fail(`next without a timer: ${data.toString().slice(0, 120)}`);
    if (w.status === undefined) {
      w.status = timer.status;
      w.elapsed = timer.elapsedSeconds;
      return ready();
    }
    if (timer.status !== w.status) w.transitions.push([arrival, timer.status]);
    // Same status, same second: nothing new (a tick always shows the next second).
    else if (timer.elapsedSeconds === w.elapsed) w.duplicates++;
    w.status = timer.status;
    w.elapsed = timer.elapsedSeconds;
  } else if (message.type === 'error' || message.type === 'complete') {
    fail(`${message.type} ${JSON.stringify(message.payload ?? null).slice(0, 120)}`);
  }
}

function watch(command: StartChanges, w: Watched): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(command.wsUrl, 'graphql-transport-ws', { localAddress: command.localAddress, perMessageDeflate: false });
    w.socket = socket;
    let settled = false;
    const settle = (failure?: string) => {
      if (settled) return;
      settled = true;
      resolve(failure);
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { token: w.token } })));
    socket.on('message', (data: Buffer) => onFrame(w, data, now(), () => settle(), (why) => settle(why)));
    socket.on('error', (err) => settle(err.message));
    socket.on('close', (code) => settle(`closed ${code}`));
  });
}

function mutate(httpUrl: string, change: Change): Promise<void> {
  const body = JSON.stringify({ query: change.target === 'PAUSED' ? PAUSE : RESUME, variables: { id: change.watched.subscriber.sessionId } });
  return new Promise((resolve) => {
    const req = request(
      httpUrl,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${change.watched.token}`, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          change.answeredAt = now();
          if (res.statusCode !== 200 || !text.includes(`"status":"${change.target}"`)) change.error = `${res.statusCode} ${text.slice(0, 120)}`;
          resolve();
        });
      },
    );
    req.on('error', (err) => {
      change.error = err.message;
      resolve();
    });
    req.end(body);
  });
}

/** `rate` changes a second from `fromMs` to `toMs`, round-robin over the watched sessions. */
async function runChanges(rate: number, fromMs: number, toMs: number): Promise<ChangeReport> {
  const httpUrl = start!.httpUrl;
  const changes: Change[] = [];
  const total = Math.floor(((toMs - fromMs) / 1000) * rate);
  let inFlight = 0;
  let released: (() => void) | undefined;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = fromMs + (i * 1000) / rate;
    if (due > now()) await sleep(due - now());
    while (inFlight >= IN_FLIGHT) await new Promise<void>((r) => (released = r));
    const w = watched[i % watched.length]!;
    const change: Change = { watched: w, target: (w.wanted ?? w.status) === 'PAUSED' ? 'RUNNING' : 'PAUSED', sentAt: now() };
    // The next change of this session asks for the opposite of this one, whatever the frames say yet.
    w.wanted = change.target;
    changes.push(change);
    inFlight++;
    pending.push(
      mutate(httpUrl, change).finally(() => {
        inFlight--;
        released?.();
        released = undefined;
      }),
    );
  }
  const lastSentAt = changes.at(-1)?.sentAt ?? fromMs;
  await Promise.all(pending);
  await sleep(LOST_AFTER_MS);
  return matchChanges(changes, (lastSentAt - fromMs) / 1000 + 1 / rate);
}

/** Each change's frame: the first transition of its session to its status at or after it was sent. */
function matchChanges(changes: Change[], seconds: number): ChangeReport {
  const used = new Map<Watched, number>();
  const sentToFrame: number[] = [];
  const answeredToFrame: number[] = [];
  const sentToAnswer: number[] = [];
  const errors: Record<string, number> = {};
  let lost = 0;
  for (const change of changes) {
    if (change.error !== undefined) {
      errors[change.error] = (errors[change.error] ?? 0) + 1;
      continue;
    }
    sentToAnswer.push(change.answeredAt! - change.sentAt);
    const { transitions } = change.watched;
    let i = used.get(change.watched) ?? 0;
    while (i < transitions.length && (transitions[i]![0] < change.sentAt || transitions[i]![1] !== change.target)) i++;
    if (i === transitions.length || transitions[i]![0] - change.sentAt > LOST_AFTER_MS) {
      lost++;
      continue;
    }
    used.set(change.watched, i + 1);
    const arrival = transitions[i]![0];
    sentToFrame.push(arrival - change.sentAt);
    answeredToFrame.push(arrival - change.answeredAt!);
  }
  let duplicates = 0;
  for (const w of watched) duplicates += w.duplicates;
  return {
    type: 'changes',
    changes: changes.length,
    perSecond: changes.length / seconds,
    errors,
    lost,
    duplicates,
    sentToFrameMs: Float64Array.from(sentToFrame),
    answeredToFrameMs: Float64Array.from(answeredToFrame),
    sentToAnswerMs: Float64Array.from(sentToAnswer),
  };
}

/** Pauses every watched session that is not PAUSED, 32 at a time, and waits until every subscriber shows PAUSED. */
async function pauseAll(): Promise<number> {
  const failures: string[] = [];
  await inLanes(
    watched.filter((w) => w.status !== 'PAUSED'),
    32,
    async (w) => {
      const change: Change = { watched: w, target: 'PAUSED', sentAt: now() };
      await mutate(start!.httpUrl, change);
      if (change.error !== undefined) failures.push(change.error);
      w.wanted = 'PAUSED';
    },
  );
  if (failures.length > 0) throw new Error(`${failures.length} pauses failed, first: ${failures[0]}`);
  const deadline = now() + 30_000;
  while (watched.some((w) => w.status !== 'PAUSED')) {
    if (now() > deadline) throw new Error('subscribers still not PAUSED 30 s after the pauses');
    await sleep(100);
  }
  for (const w of watched) w.transitions = [];
  return watched.length;
}

/** Opens `rate` sockets a second from `fromMs` to `toMs` (authenticated, no operation), each closed after `holdMs`. */
async function runChurn(students: Subscriber[], tokens: TokenSettings, rate: number, fromMs: number, toMs: number, holdMs: number): Promise<ChurnReport> {
  const total = Math.floor(((toMs - fromMs) / 1000) * rate);
  const failures: Record<string, number> = {};
  let opened = 0;
  let closed = 0;
  const all: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = fromMs + (i * 1000) / rate;
    if (due > now()) await sleep(due - now());
    const student = students[i % students.length]!;
    all.push(
      new Promise<void>((resolve) => {
        const socket = new WebSocket(start!.wsUrl, 'graphql-transport-ws', { localAddress: start!.localAddress, perMessageDeflate: false });
        const fail = (why: string) => {
          failures[why] = (failures[why] ?? 0) + 1;
          socket.terminate();
          resolve();
        };
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { token: signAccessToken(tokens, student.userId, student.familyId) } })));
        socket.on('message', (data: Buffer) => {
          if (!data.toString().includes('"connection_ack"')) return;
          opened++;
          setTimeout(() => socket.close(1000), holdMs);
        });
        socket.on('error', (err) => fail(err.message));
        socket.on('close', (code) => {
          if (code === 1000 || code === 1005) closed++;
          else failures[`closed ${code}`] = (failures[`closed ${code}`] ?? 0) + 1;
          resolve();
        });
      }),
    );
  }
  await Promise.all(all);
  return { type: 'churn', opened, closed, failures };
}

process.on('message', (message: ToChangeWorker) => {
  const run = async (): Promise<FromChangeWorker> => {
    switch (message.type) {
      case 'start': {
        start = message;
        watched = message.watched.map((subscriber) => ({ subscriber, token: signAccessToken(message.tokens, subscriber.userId, subscriber.familyId), transitions: [], duplicates: 0 }));
        // A few at a time, like the load clients' ramp: a thousand handshakes at once would wait
        // for the instance's database pool longer than its connect timeout while it ticks.
        const failures: string[] = [];
        await inLanes(watched, WATCH_CONCURRENCY, async (w) => {
          const failure = await watch(message, w);
          if (failure !== undefined) failures.push(failure);
        });
        if (failures.length > 0) throw new Error(`${failures.length} change subscriptions failed, first: ${failures[0]}`);
        return { type: 'watching', subscriptions: watched.length };
      }
      case 'pause-all':
        return { type: 'paused', sessions: await pauseAll() };
      case 'changes':
        return runChanges(message.rate, message.fromMs, message.toMs);
      case 'churn':
        return runChurn(message.students, start!.tokens, message.rate, message.fromMs, message.toMs, message.holdMs);
      case 'close':
        for (const w of watched) w.socket?.terminate();
        agent.destroy();
        return { type: 'closed' };
    }
  };
  run().then(
    (reply) => process.send!(reply, () => reply.type === 'closed' && process.exit(0)),
    (err: unknown) => send({ type: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
