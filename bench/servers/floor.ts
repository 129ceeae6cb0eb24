/**
 * The floor: bare `ws`, one shared ticker, one pre-serialised frame per tick sent to every
 * socket, the JWT in the first message. The least a server can do to deliver an authenticated
 * 1 Hz tick; studyclock and graphql-ws are measured against it.
 *
 * Protocol: the client sends `{"token":"<access token>"}` first; the server checks it (HS256,
 * as studyclock does, without the database) and answers with the current state at once (the
 * "first frame" the connect rate counts), then one frame per tick. A bad or missing token:
 * close 4403; no first message within 3 s: close 4408 (graphql-ws's codes).
 */
import { WebSocket, WebSocketServer } from 'ws';
import { verifyAccessToken } from '../lib/tokens.js';
import { baselineSettings, exitOnSignal, healthServer, SharedTicker } from './baseline.js';

const settings = baselineSettings(process.env);
const ticker = new SharedTicker(settings.tickOriginMs);
const subscribed = new Set<WebSocket>();

// The same JSON a graphql-ws `next` message of studyclock's `timerUpdated` carries, so the
// floor pays for the same bytes on the wire; built once per tick for everyone.
function frame(tick: number, atMs: number): Buffer {
  const timerUpdated = { sessionId: 'shared', status: 'RUNNING', elapsedSeconds: tick, remainingSeconds: null, serverTime: new Date(atMs).toISOString() };
  return Buffer.from(JSON.stringify({ id: '1', type: 'next', payload: { data: { timerUpdated } } }));
}

const http = healthServer();
const wss = new WebSocketServer({ server: http, path: '/graphql', perMessageDeflate: false, maxPayload: 65_536 });
wss.on('connection', (socket) => {
  const initTimeout = setTimeout(() => socket.close(4408, 'Connection initialisation timeout'), 3_000);
  socket.once('message', (data) => {
    clearTimeout(initTimeout);
    let token: unknown;
    try {
      token = (JSON.parse(data.toString()) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (!verifyAccessToken(settings, token)) return socket.close(4403, 'Forbidden');
    subscribed.add(socket);
    socket.send(frame(ticker.current(), Date.now()));
  });
  socket.once('close', () => {
    clearTimeout(initTimeout);
    subscribed.delete(socket);
  });
});

ticker.subscribe((tick, firedAt) => {
  const bytes = frame(tick, firedAt);
  for (const socket of subscribed) if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
});
ticker.start();
http.listen(settings.port, '127.0.0.1');
exitOnSignal(() => {
  ticker.stop();
  for (const socket of wss.clients) socket.terminate();
  return new Promise<void>((resolve) => http.close(() => resolve()));
});
