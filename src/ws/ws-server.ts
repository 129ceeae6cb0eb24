import type { IncomingMessage, Server } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Revocations } from '../auth/revocations.js';
import { clientAddress, type TrustProxy } from '../http/client-address.js';
import { closeSocket, CloseCodes } from './close-codes.js';
import { ConnectionRegistry } from './connections.js';
import { FramedSubscriptions } from './framed-subscriptions.js';
import { serveGraphqlWs } from './graphql-ws-transport.js';
import { DocumentAdmission, type HookDeps, protocolHooks, socketFormatters } from './graphql-ws-hooks.js';
import { watchSlowConsumers } from './slow-consumers.js';
import type { WsSettings } from './settings.js';
import { RememberedAuthentications, upgradeListener } from './upgrade-guard.js';

/** What the endpoint is attached with. */
export interface WsServerDeps extends Omit<HookDeps, 'connections' | 'maxOperations' | 'allowQueryToken' | 'frames' | 'formatters' | 'remembered' | 'documents'> {
  httpServer: Server;
  settings: WsSettings;
  trustProxy: TrustProxy;
  revocations: Revocations;
}

/** The running WebSocket endpoint. */
export interface WsEndpoint {
  /** Open sockets, and those of them that are authenticated. */
  readonly stats: { openSockets: number; authenticatedConnections: number };
  /**
   * Closes every socket with 1001 Going away (1012 Service restart in a cluster) and stops
   * accepting; resolves when all are closed.
   */
  dispose(): Promise<void>;
}

/**
 * GraphQL over WebSocket (subprotocol `graphql-transport-ws`) on `/graphql` of the HTTP server:
 * routes upgrades (404 elsewhere) through the guard (`admitUpgrade`: 403/429 before the
 * upgrade completes), keeps a {@link ConnectionRegistry} that revocations close, and runs the
 * hooks of `graphql-ws-hooks.ts` on the protocol core (`serveGraphqlWs`).
 */
export function attachWebSocketServer(deps: WsServerDeps): WsEndpoint {
  const { httpServer, settings, trustProxy, server } = deps;
  const connections = new ConnectionRegistry(server.clock);
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxPayloadBytes, perMessageDeflate: false });
  let accepting = true;
  const remembered = new RememberedAuthentications();
  const authenticate = (t: string) => server.services.authenticator.authenticate(t);
  const guard = { settings, logger: server.logger, defences: deps.defences, authenticate, remembered };

  const onUpgrade = upgradeListener({ ...guard, trustProxy }, (request, socket, head) => {
    if (!accepting) return void socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  httpServer.on('upgrade', onUpgrade);
  const addressOf = (request: IncomingMessage) => clientAddress(request, trustProxy);
  // Registered before the transport's own handler, so a connection exists before any of its messages is handled.
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => connections.open(socket, addressOf(request), request.headers['user-agent']));
  const formatters = socketFormatters(server.logger, deps.limits);
  const frames = new FramedSubscriptions(formatters.formatResult);
  const documents = new DocumentAdmission(deps.limits, deps.schema);
  const hooks = { ...deps, connections, frames, formatters, remembered, documents, maxOperations: settings.maxOperations, allowQueryToken: settings.allowQueryToken };
  const subprotocolRefused = deps.defences.requests.subprotocolRefused.bind(deps.defences.requests);
  const graphqlWs = serveGraphqlWs(wss, protocolHooks(hooks), { logger: server.logger, keepAliveMs: settings.keepAliveMs, addressOf, subprotocolRefused });
  const stopWatchingSlowConsumers = watchSlowConsumers({
    sockets: () => connections.sockets(),
    maxBufferedBytes: settings.maxBufferedBytes,
    onSlowConsumer: (socket, bufferedBytes) => {
      const connection = connections.get(socket);
      deps.defences.counters.record('slowConsumersClosed', 'ws.slow_consumer', { ip: connection?.ip, userId: connection?.viewer?.userId, bufferedBytes });
    },
  });
  const stopHearingRevocations = deps.revocations.subscribe(connections);
  // A cluster member that cannot write its heartbeat gives its sockets up, so that their
  // clients move to an instance the others do not declare dead.
  const stopHearingFences = server.services.presence.onFenced(() => {
    for (const socket of connections.sockets()) closeSocket(socket, CloseCodes.TryAgainLater.code, CloseCodes.TryAgainLater.reason);
  });
  let disposed: Promise<void> | undefined;
  const dispose = async () => {
    httpServer.off('upgrade', onUpgrade);
    accepting = false;
    stopWatchingSlowConsumers();
    stopHearingRevocations();
    stopHearingFences();
    await connections.drain(async () => graphqlWs.dispose(settings.restartOnShutdown ? CloseCodes.ServiceRestart : CloseCodes.GoingAway));
  };

  return {
    get stats() {
      return connections.stats;
    },
    // Idempotent: Apollo's drain disposes it, and so does the server's release stack.
    dispose: () => (disposed ??= dispose()),
  };
}
