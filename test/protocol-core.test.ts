import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type ExecutionArgs, GraphQLError, parse } from 'graphql';
import WebSocket, { WebSocketServer } from 'ws';
import { subscriptionPayload } from '../src/graphql/compiled-payload.js';
import { createLogger } from '../src/logger.js';
import { Channel } from '../src/realtime/channel.js';
import { FramedSubscriptions } from '../src/ws/framed-subscriptions.js';
import { type GraphqlWsTransport, type ProtocolHooks, serveGraphqlWs } from '../src/ws/graphql-ws-transport.js';
import { eventually } from './support/ws-client.js';

// The protocol core (`serveGraphqlWs`) with hooks of this file's own, on real sockets: what it
// does when an operation ends while it is being admitted, whatever the moment, which the
// server-level tests (ws-protocol.test.ts) can reach only at the first await. The source of
// the subscription `tick` waits for the test to open its gate, so a `complete` or a close can
// be sent while it is being created.

const schema = makeExecutableSchema({
  typeDefs: 'type Query { ok: Boolean } type Subscription { tick: Tick } type Tick { n: Int }',
  resolvers: {
    Query: { ok: () => true },
    Subscription: {
      tick: {
        subscribe: async () => {
          await gate.promise;
          const source = new Channel<{ n: number }>(() => released++);
          sources.push(source);
          return source;
        },
        resolve: subscriptionPayload,
      },
    },
  },
});

let gate: { promise: Promise<void>; open: () => void };
let sources: Channel<{ n: number }>[];
let released: number;
let subscribeFails: boolean;
let logLines: string[];
let http: Server;
let transport: GraphqlWsTransport;
let url: string;

function newGate(): typeof gate {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

beforeEach(async () => {
  gate = newGate();
  sources = [];
  released = 0;
  subscribeFails = false;
  logLines = [];
  http = createServer();
  const wss = new WebSocketServer({ server: http });
  const logger = createLogger('info', { write: (line: string) => void logLines.push(line) });
  const frames = new FramedSubscriptions((result) => result as never);
  const hooks: ProtocolHooks = {
    connect: () => Promise.resolve({ hello: 'you' }),
    subscribe: (_session, _id, payload) => {
      if (subscribeFails) return Promise.reject(new Error('a hook failed: secret detail'));
      const args: ExecutionArgs = { schema, document: parse(payload.query), operationName: payload.operationName ?? null, contextValue: {} };
      return Promise.resolve(args);
    },
    stream: (args, owner, id) => frames.open(args, owner, id),
    formatResult: (result) => result as never,
    formatError: (error: GraphQLError) => ({ message: error.message }),
  };
  transport = serveGraphqlWs(wss, hooks, { logger, keepAliveMs: 0, addressOf: () => '127.0.0.1', subprotocolRefused: () => Promise.resolve() });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await transport.dispose();
  await new Promise((resolve) => http.close(resolve));
});

interface Received {
  type: string;
  id?: string;
  payload?: unknown;
}

/** An acknowledged raw socket and what it has received since the acknowledgement. */
async function connect(): Promise<{ socket: WebSocket; messages: Received[]; send: (m: unknown) => void; closed: Promise<[number, string]> }> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const messages: Received[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Received));
  const closed = once(socket, 'close').then(([code, reason]) => [code as number, String(reason)] as [number, string]);
  await once(socket, 'open');
  const send = (m: unknown) => socket.send(JSON.stringify(m));
  send({ type: 'connection_init' });
  await eventually(() => messages.length > 0, 2_000, 'connection_ack');
  expect(messages.shift()).toEqual({ type: 'connection_ack', payload: { hello: 'you' } });
  return { socket, messages, send, closed };
}

const TICK = { query: 'subscription { tick { n } }' };

describe('the protocol core', () => {
  it('sends a subscription\'s frames when it starts, and complete when its source ends', async () => {
    const { messages, send } = await connect();
    gate.open();
    send({ id: 's', type: 'subscribe', payload: TICK });
    await eventually(() => sources.length === 1, 2_000, 'the source');
    sources[0]!.push({ n: 1 });
    sources[0]!.push({ n: 2 });
    sources[0]!.end();
    await eventually(() => messages.length === 3, 2_000, 'two frames and complete');
    expect(messages).toEqual([
      { id: 's', type: 'next', payload: { data: { tick: { n: 1 } } } },
      { id: 's', type: 'next', payload: { data: { tick: { n: 2 } } } },
      { id: 's', type: 'complete' },
    ]);
    expect(released).toBe(1);
  });

  it('releases a subscription\'s source created after the client completed it, sends nothing for it, and takes the id again', async () => {
    const { messages, send } = await connect();
    send({ id: 's', type: 'subscribe', payload: TICK });
    // The subscribe is waiting for its source: complete it now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    send({ id: 's', type: 'complete' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    gate.open();
    await eventually(() => released === 1, 2_000, 'the late source released');
    expect(sources).toHaveLength(1);
    sources[0]!.push({ n: 1 });
    send({ id: 's', type: 'subscribe', payload: TICK });
    await eventually(() => sources.length === 2, 2_000, 'the second source');
    sources[1]!.push({ n: 2 });
    await eventually(() => messages.length === 1, 2_000, 'a frame of the second subscribe');
    expect(messages).toEqual([{ id: 's', type: 'next', payload: { data: { tick: { n: 2 } } } }]);
  });

  it('releases a subscription\'s source created after its socket closed', async () => {
    const { socket, send, closed } = await connect();
    send({ id: 's', type: 'subscribe', payload: TICK });
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.close(1000);
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    gate.open();
    await eventually(() => released === 1, 2_000, 'the late source released');
    expect(sources).toHaveLength(1);
  });

  it('releases every running subscription when its socket closes', async () => {
    const { socket, send, closed } = await connect();
    gate.open();
    send({ id: 'a', type: 'subscribe', payload: TICK });
    send({ id: 'b', type: 'subscribe', payload: TICK });
    await eventually(() => sources.length === 2, 2_000, 'both sources');
    socket.close(1000);
    await closed;
    await eventually(() => released === 2, 2_000, 'both sources released');
  });

  it('answers a query with next then complete', async () => {
    const { messages, send } = await connect();
    send({ id: 'q', type: 'subscribe', payload: { query: '{ ok }' } });
    await eventually(() => messages.length === 2, 2_000, 'next and complete');
    expect(messages).toEqual([
      { id: 'q', type: 'next', payload: { data: { ok: true } } },
      { id: 'q', type: 'complete' },
    ]);
  });

  it('closes with 4500 and the fixed reason when a hook throws, and logs the failure as one JSON line', async () => {
    const { send, closed } = await connect();
    subscribeFails = true;
    send({ id: 'q', type: 'subscribe', payload: { query: '{ ok }' } });
    expect(await closed).toEqual([4500, 'Internal server error']);
    const failures = logLines.map((line) => JSON.parse(line) as { msg: string; err?: { message: string } }).filter((l) => l.msg === 'could not handle a WebSocket message');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.err?.message).toBe('a hook failed: secret detail');
  });
});
