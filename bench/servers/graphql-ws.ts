/**
 * Stock graphql-ws: `useServer` from graphql-ws 6 over `ws`, default options (graphql-js
 * `subscribe`, so every source event goes through `execute` and `JSON.stringify` once per
 * subscriber), a `timerUpdated` subscription shaped like studyclock's, fed by one shared 1 Hz
 * ticker. Authentication in `onConnect`: the access token in `connectionParams.token`, checked
 * as studyclock checks it but without the database (a refused token: graphql-ws's 4403).
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLID,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { verifyAccessToken } from '../lib/tokens.js';
import { baselineSettings, exitOnSignal, healthServer, SharedTicker } from './baseline.js';

const settings = baselineSettings(process.env);
const ticker = new SharedTicker(settings.tickOriginMs);

interface TickEvent {
  tick: number;
  atMs: number;
}

/**
 * The ticks from now on, first the current state at once (as studyclock's subscription starts),
 * as an async iterator; `return()` (graphql-ws calls it when the client goes) unsubscribes.
 */
function ticks(): AsyncIterableIterator<TickEvent> {
  const queue: TickEvent[] = [{ tick: ticker.current(), atMs: Date.now() }];
  let wake: ((result: IteratorResult<TickEvent>) => void) | undefined;
  let done = false;
  const unsubscribe = ticker.subscribe((tick, atMs) => {
    if (wake) {
      const resolve = wake;
      wake = undefined;
      resolve({ value: { tick, atMs }, done: false });
    } else queue.push({ tick, atMs });
  });
  const finish = (): Promise<IteratorResult<TickEvent>> => {
    done = true;
    unsubscribe();
    queue.length = 0;
    wake?.({ value: undefined, done: true });
    wake = undefined;
    return Promise.resolve({ value: undefined, done: true });
  };
  return {
    next: () => {
      if (done) return Promise.resolve({ value: undefined, done: true });
      const value = queue.shift();
      if (value) return Promise.resolve({ value, done: false });
      return new Promise((resolve) => (wake = resolve));
    },
    return: finish,
    throw: async (err: unknown) => {
      await finish();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

// Serialised the way studyclock's DateTime scalar (graphql-scalars) serialises a Date.
const DateTime = new GraphQLScalarType<Date, string>({ name: 'DateTime', serialize: (value) => (value as Date).toISOString() });
const SessionStatus = new GraphQLEnumType({ name: 'SessionStatus', values: { RUNNING: {}, PAUSED: {}, COMPLETED: {}, STOPPED: {} } });
const TimerUpdate = new GraphQLObjectType({
  name: 'TimerUpdate',
  fields: {
    sessionId: { type: new GraphQLNonNull(GraphQLID) },
    status: { type: new GraphQLNonNull(SessionStatus) },
    elapsedSeconds: { type: new GraphQLNonNull(GraphQLInt) },
    remainingSeconds: { type: GraphQLInt },
    serverTime: { type: new GraphQLNonNull(DateTime) },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean, resolve: () => true } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      timerUpdated: {
        type: new GraphQLNonNull(TimerUpdate),
        args: { sessionId: { type: new GraphQLNonNull(GraphQLID) } },
        subscribe: () => ticks(),
        resolve: (event: TickEvent, args: { sessionId: string }) => ({
          sessionId: args.sessionId,
          status: 'RUNNING',
          elapsedSeconds: event.tick,
          remainingSeconds: null,
          serverTime: new Date(event.atMs),
        }),
      },
    },
  }),
});

const http = healthServer();
const wss = new WebSocketServer({ server: http, path: '/graphql', perMessageDeflate: false, maxPayload: 65_536 });
// keepAlive 12 s: graphql-ws's default, and studyclock's WS_KEEPALIVE_SECONDS default.
const server = useServer({ schema, onConnect: (ctx) => verifyAccessToken(settings, ctx.connectionParams?.token) !== undefined }, wss, 12_000);
ticker.start();
http.listen(settings.port, '127.0.0.1');
exitOnSignal(async () => {
  ticker.stop();
  for (const socket of wss.clients) socket.terminate();
  await server.dispose();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});
