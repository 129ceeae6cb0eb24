import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { bearerToken } from '../http/auth-cookies.js';
import { clientAddress, compileTrustProxy, type TrustProxy } from '../http/client-address.js';
import { logSecurityEvent, type Logger } from '../logger.js';
import type { ServerMetrics } from './metrics.js';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/**
 * Where `GET /metrics` is answered, from the configuration:
 *
 * - `METRICS_PORT` set: on a listener of its own at `METRICS_HOST:METRICS_PORT` (plain HTTP,
 *   nothing else on it), and not on `PORT`.
 * - otherwise, `METRICS_TOKEN` set: on `PORT` next to `/graphql`.
 * - neither: nowhere (404 on `PORT`), so that a deployment that did not think about metrics does
 *   not publish its traffic, socket counts and failure rates to whoever finds the path.
 *
 * With `METRICS_TOKEN`, wherever it is answered, a scrape without `Authorization: Bearer
 * <METRICS_TOKEN>` gets 401 and is logged as the security event `metrics.unauthorized` (with the
 * address, never what was presented).
 */
export interface MetricsEndpoint {
  /** The handler for `GET /metrics` on `PORT`, or undefined when metrics are not served there. */
  readonly onMainPort: RequestListener | undefined;
  /**
   * Starts the `METRICS_PORT` listener, if there is one to start; resolves with its
   * `http://host:port`, or rejects when it cannot listen (port taken, host unknown).
   */
  listen(): Promise<string | undefined>;
  /** Stops the listener, cutting open scrape connections. Idempotent. */
  close(): Promise<void>;
}

/** The endpoint for `metrics` as the configuration says (see {@link MetricsEndpoint}). */
export function metricsEndpoint(config: Config, metrics: ServerMetrics, logger: Logger): MetricsEndpoint {
  const answer = answerScrape(metrics, config.METRICS_TOKEN, logger, compileTrustProxy(config.TRUST_PROXY));
  if (config.METRICS_PORT === undefined) {
    return { onMainPort: config.METRICS_TOKEN === undefined ? undefined : answer, listen: async () => undefined, close: async () => {} };
  }
  const port = config.METRICS_PORT;
  const host = config.METRICS_HOST;
  let server: Server | undefined;
  let closing: Promise<void> | undefined;
  return {
    onMainPort: undefined,
    listen: async () => {
      const listening = createServer((req, res) => {
        const { pathname } = new URL(req.url ?? '/', 'http://localhost');
        if (pathname !== METRICS_PATH) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"Not found"}');
        if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        answer(req, res);
      });
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          listening.off('error', reject);
          resolve();
        });
      });
      server = listening;
      const address = listening.address() as AddressInfo;
      const origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ port: address.port }, `metrics on ${origin}${METRICS_PATH}`);
      return origin;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        // A scraper keeps its connection alive between scrapes: it would hold close() for ever.
        server.closeAllConnections();
      })),
  };
}

/** Answers a scrape, checking the bearer token first when there is one. */
function answerScrape(metrics: ServerMetrics, token: string | undefined, logger: Logger, trustProxy: TrustProxy): RequestListener {
  // Digests have one length whatever was presented: the comparison says nothing of the token's.
  const expected = token === undefined ? undefined : digest(token);
  return (req, res) => {
    if (expected) {
      const presented = bearerToken(req.headers.authorization);
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        const reason = req.headers.authorization === undefined ? 'missing' : 'invalid';
        logSecurityEvent(logger, 'metrics.unauthorized', { reason, ip: clientAddress(req, trustProxy) });
        res
          .writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="metrics"' })
          .end('{"error":"Unauthorized"}');
        return;
      }
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'could not collect metrics');
        res.writeHead(500).end();
      },
    );
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
