import { randomBytes } from 'node:crypto';
import { getDistDirectory, renderAltair, type RenderOptions } from 'altair-static';
import express, { type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Config } from '../config.js';

/** Where the explorer is served: its page at `/explorer`, Altair's files under `/explorer/`. */
export const EXPLORER_PATH = '/explorer';

/**
 * The environment variable of the explorer that carries the access token, as a whole header
 * value (`Bearer …`). Both the `Authorization` header of HTTP requests and the `Authorization`
 * connection parameter of the WebSocket read it.
 */
export const EXPLORER_TOKEN_VARIABLE = 'authorization';

/**
 * Whether `/explorer` serves the explorer: `EXPLORER_ENABLED`, by default on except with
 * NODE_ENV=production. Off, every path under it answers 404 like any unknown path.
 */
export function explorerEnabled(config: Pick<Config, 'EXPLORER_ENABLED' | 'NODE_ENV'>): boolean {
  return config.EXPLORER_ENABLED ?? config.NODE_ENV !== 'production';
}

/** A request for the explorer's page or one of its files (as Express routes: case-insensitively). */
export function isExplorerRequest(req: Request): boolean {
  const path = req.path.toLowerCase();
  return path === EXPLORER_PATH || path.startsWith(`${EXPLORER_PATH}/`);
}

/** The document a first visit opens with: the operations of a first session, and how to authenticate. */
export const EXPLORER_INITIAL_QUERY = `# studyclock explorer: Altair, served by the API itself (works with no network).
#
# 1. Fill in email and password under Variables (bottom left) and run LogIn; copy "accessToken".
# 2. "No environment" (top right) → Environments… → Global environment: set
#    "${EXPLORER_TOKEN_VARIABLE}" to "Bearer <accessToken>" and Save. The Authorization header
#    and the WebSocket's connectionParams both read it.
# 3. Run Me. Put the id of a running session in the variables ("id") and run Timer:
#    each timerUpdated event appears as it arrives.

mutation LogIn($email: String!, $password: String!) {
  logIn(input: { email: $email, password: $password }) { accessToken expiresAt user { id email } }
}

query Me {
  me { id email }
}

subscription Timer($id: ID!) {
  timerUpdated(sessionId: $id) { sessionId status elapsedSeconds remainingSeconds serverTime }
}
`;

/** Variables of {@link EXPLORER_INITIAL_QUERY}, to fill in. */
const EXPLORER_INITIAL_VARIABLES = `{
  "email": "",
  "password": "",
  "id": ""
}`;

/**
 * Altair's options for one response. URLs are relative so that Altair resolves them against the
 * page's own origin (whatever host a proxy exposes); only the WebSocket scheme comes from the
 * request (`wss` when it came over HTTPS, directly or through a trusted proxy), since Altair
 * would otherwise use the page's `http(s):` scheme, which older browsers refuse for a WebSocket.
 */
export function explorerOptions(req: Pick<Request, 'secure'>, nonce: string): RenderOptions {
  const header = `{{${EXPLORER_TOKEN_VARIABLE}}}`;
  return {
    baseURL: `${EXPLORER_PATH}/`,
    endpointURL: '/graphql',
    subscriptionsEndpoint: '/graphql',
    subscriptionsProtocol: req.secure ? 'wss' : 'ws',
    initialSubscriptionRequestHandlerId: 'graphql-ws',
    initialQuery: EXPLORER_INITIAL_QUERY,
    initialVariables: EXPLORER_INITIAL_VARIABLES,
    // An empty header is left out of the request (a `Bearer ` with no token would be refused
    // as malformed and logged as a rejected token): hence a variable for the whole value.
    initialHeaders: { Authorization: header },
    initialSubscriptionsPayload: { Authorization: header },
    initialEnvironments: { base: { title: 'Environment', variables: { [EXPLORER_TOKEN_VARIABLE]: '' } } },
    // Nothing that would reach beyond this server: Altair's cloud account, update checks,
    // announcements and notifications.
    disableAccount: true,
    initialSettings: {
      'alert.disableUpdateNotification': true,
      'banners.disable': true,
      disablePushNotification: true,
      'plugin.list': [],
    },
    // Altair's nonce for the styles it adds at run time (editor, themes) and its init script.
    cspNonce: nonce,
  };
}

/** Altair's HTML for a set of options: `renderAltair` of altair-static, or a stand-in in tests. */
export type AltairRenderer = (options: RenderOptions) => string;

/** The element Angular reads its nonce for component styles from (attribute `ngCspNonce`). */
const APP_ROOT = '<app-root>';

/**
 * The explorer's page: Altair's HTML with its init script's nonce and Angular's style nonce.
 * Throws when Altair's markup has no `<app-root>` to carry the latter: served anyway, the page
 * would have every component style refused by the policy, with nothing but a console message.
 */
function explorerPage(render: AltairRenderer, options: RenderOptions, nonce: string): string {
  const html = render(options);
  if (!html.includes(APP_ROOT)) {
    throw new Error(`Altair's page has no ${APP_ROOT} to carry Angular's CSP nonce (ngCspNonce): has altair-static's markup changed?`);
  }
  return html.replace(APP_ROOT, `<app-root ngCspNonce="${nonce}">`);
}

function explorerNonce(res: Response): string {
  const nonce: unknown = res.locals.explorerNonce;
  if (typeof nonce !== 'string') throw new Error('the explorer page needs the nonce of explorerContentSecurityPolicy');
  return nonce;
}

/**
 * The Content-Security-Policy of the explorer (its page and files), in place of the API's
 * `default-src 'none'`: scripts, styles, fonts, images and workers from this origin only,
 * inline scripts and styles only with the response's nonce (made here, for the page), and
 * connections only to this origin. Nothing may frame it, and it may not submit forms or change
 * its base beyond this origin.
 *
 * `connect-src 'self'` covers `ws:`/`wss:` of the same host as CSP3 says, in Chrome 71+,
 * Firefox and Safari 16+; older browsers refuse the explorer's WebSocket (its subscriptions).
 * The policy names no `ws://host` of its own: the host would come from the request's `Host`
 * header, which the client chooses, and a development tool is not worth that.
 *
 * Without `'unsafe-inline'` or `'unsafe-eval'` the browser refuses, to no visible effect:
 * zod's probe for `eval`, Angular CDK's empty `matchMedia` work-around sheet and ng-zorro's
 * sheet of theme colour variables (both added without a nonce). No frames either, so Altair's
 * pre- and post-request scripts (run by `eval` in a frame) do not run here.
 */
export function explorerContentSecurityPolicy(): RequestHandler {
  const nonce = (_req: unknown, res: unknown) => `'nonce-${(res as Response).locals.explorerNonce as string}'`;
  const policy = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'", nonce],
      styleSrc: ["'self'", nonce],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      workerSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'none'"],
      objectSrc: ["'none'"],
    },
  });
  return (req, res, next) => {
    res.locals.explorerNonce = randomBytes(16).toString('base64');
    policy(req, res, next);
  };
}

/**
 * The explorer, to mount at {@link EXPLORER_PATH}: Altair's page (rendered per response, for its
 * nonce and the request's WebSocket scheme) and its bundled files from `altair-static`. Those
 * include its script sandbox (`iframe-sandbox/`): finding it here, Altair never looks for the
 * one on its own site, even though the policy lets no frame load it.
 *
 * Renders the page once here, so that an altair-static whose markup no longer suits the policy
 * (see {@link explorerPage}) stops the server at start-up instead of breaking the explorer
 * quietly. `render` is altair-static's `renderAltair` but in tests.
 */
export function explorerRouter(render: AltairRenderer = renderAltair): express.Router {
  const probe = 'start-up-check';
  explorerPage(render, explorerOptions({ secure: false }, probe), probe);
  const router = express.Router({ strict: false });
  router.get(['/', '/index.html'], (req, res) => {
    const nonce = explorerNonce(res);
    res.type('html').set('cache-control', 'no-store').send(explorerPage(render, explorerOptions(req, nonce), nonce));
  });
  router.use(express.static(getDistDirectory(), { index: false, redirect: false, fallthrough: true }));
  return router;
}
