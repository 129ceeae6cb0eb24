import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { bearerToken } from '../http/auth-cookies.js';
import { clientAddress, type TrustProxy } from '../http/client-address.js';
import type { Logger } from '../logger.js';
import type { RequestLimits } from '../security/request-limits.js';
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
 * <METRICS_TOKEN>` gets 401, is counted, and is logged as the security event
 * `metrics.unauthorized` (with the address, never what was presented) once per address and
 * minute: see {@link RequestLimits.scrapeRefused}.
 */
export interface MetricsEndpoint {
  /** The handler for `GET /metrics` on `PORT`, or undefined when metrics are not served there. */
  readonly onMainPort: RequestListener | undefined;
  /**
   * Starts the `METRICS_PORT` listener, if there is one to start; resolves with its
   * `http://host:port`, or rejects when it cannot listen (port taken, host unknown) or when
   * {@link close} was called first or meanwhile (the listener is closed by then).
   */
  listen(): Promise<string | undefined>;
  /** Stops the listener, once a {@link listen} in progress has settled, cutting open scrape connections. Idempotent. */
  close(): Promise<void>;
}

/** The endpoint for `metrics` as the configuration says (see {@link MetricsEndpoint}). */
export function metricsEndpoint(
  config: Config,
  metrics: Pick<ServerMetrics, 'scrape' | 'contentType'>,
  rateLimits: Pick<RequestLimits, 'scrapeRefused'>,
  logger: Logger,
  trustProxy: TrustProxy,
): MetricsEndpoint {
  const answer = answerScrape(metrics, config.METRICS_TOKEN, rateLimits, logger, trustProxy);
  if (config.METRICS_PORT === undefined) {
    return { onMainPort: config.METRICS_TOKEN === undefined ? undefined : answer, listen: async () => undefined, close: async () => {} };
  }
  const port = config.METRICS_PORT;
  const host = config.METRICS_HOST;
  let server: Server | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const closed = () => new Error('the metrics endpoint was closed before it was listening');
  return {
    onMainPort: undefined,
    listen: async () => {
      if (closing) throw closed();
      const listening = createServer((req, res) => {
        const { pathname } = new URL(req.url ?? '/', 'http://localhost');
        if (pathname !== METRICS_PATH) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"Not found"}');
        if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        answer(req, res);
      });
      server = listening;
      starting = new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          listening.off('error', reject);
          resolve();
        });
      });
      await starting;
      if (closing) throw closed();
      const address = listening.address() as AddressInfo;
      const origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ port: address.port }, `metrics on ${origin}${METRICS_PATH}`);
      return origin;
    },
    close: () =>
      (closing ??= (async () => {
        // A server closed while it looks up its host or binds would bind afterwards all the same
        // (and hold the port and the process): let the listen finish, then close what it opened.
        await starting?.catch(() => {});
        const listening = server;
        if (!listening?.listening) return;
        await new Promise<void>((resolve) => {
          listening.close(() => resolve());
          // A scraper keeps its connection alive between scrapes: it would hold close() for ever.
          listening.closeAllConnections();
        });
      })()),
  };
}

/** Answers a scrape, checking the bearer token first when there is one. */
function answerScrape(
  metrics: Pick<ServerMetrics, 'scrape' | 'contentType'>,
  token: string | undefined,
  rateLimits: Pick<RequestLimits, 'scrapeRefused'>,
  logger: Logger,
  trustProxy: TrustProxy,
): RequestListener {
  // Digests have one length whatever was presented: the comparison says nothing of the token's.
  const expected = token === undefined ? undefined : digest(token);
  return (req, res) => {
    if (expected) {
      const presented = bearerToken(req.headers.authorization);
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        const reason = req.headers.authorization === undefined ? 'missing' : 'invalid';
        const refused = () =>
          res
            .writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="metrics"' })
            .end('{"error":"Unauthorized"}');
        // Answered once counted (and logged): whoever reads the 401 can find it in the log.
        rateLimits.scrapeRefused(clientAddress(req, trustProxy), reason).then(refused, (err: unknown) => {
          logger.error({ err }, 'could not count a refused scrape');
          refused();
        });
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
