import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type InlineConfig, type Plugin, type ProxyOptions } from 'vite';

/** The app's folder: Vite's root whatever the working directory. */
export const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));

/**
 * The built app's Content-Security-Policy: everything from the page's own origin, nothing
 * inline, nothing from elsewhere. `connect-src 'self'` covers the same-origin `/graphql` over
 * HTTP and WebSocket alike (`ws:`/`wss:` to the page's host). The dev server does without it:
 * Vite's hot reload injects inline scripts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/**
 * Puts {@link CONTENT_SECURITY_POLICY} in the built index.html as a `<meta http-equiv>`, so
 * that it travels with the files to whatever serves them: right after `<meta charset>`, before
 * any script or style sheet (a policy applies only to what comes after it). Build only: see
 * above.
 */
function contentSecurityPolicy(): Plugin {
  const charset = /<meta charset="UTF-8" \/>/i;
  return {
    name: 'studyclock:content-security-policy',
    apply: 'build',
    transformIndexHtml(html) {
      if (!charset.test(html)) throw new Error('index.html: no <meta charset="UTF-8" /> to put the Content-Security-Policy after');
      return html.replace(charset, `$&\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`);
    },
  };
}

/**
 * The Vite configuration of the reference web app, its `/graphql` proxied to the API at
 * `apiUrl` by both the dev server and `vite preview`, WebSocket upgrades included.
 *
 * The proxy keeps the browser's `Origin` header (no `rewriteWsOrigin`): the API admits a
 * cookie-carrying WebSocket upgrade only from an origin in its ALLOWED_ORIGINS (cross-site
 * WebSocket hijacking), so the page's origin must be listed there, as `npm run web` does. It
 * keeps `Host` too (no `changeOrigin`): the auth cookies are set for the page's host either way.
 */
export function webAppConfig(apiUrl: string): InlineConfig {
  const proxy: Record<string, ProxyOptions> = { '/graphql': { target: apiUrl, ws: true } };
  return {
    root: WEB_ROOT,
    plugins: [react(), contentSecurityPolicy()],
    server: { proxy },
    // What a server in front of the build should send too: the policy as a header, with what a
    // <meta> policy cannot say (frame-ancestors: no framing, against clickjacking).
    preview: { proxy, headers: { 'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'` } },
    build: { outDir: 'dist', emptyOutDir: true },
    clearScreen: false,
  };
}

// `vite --config examples/web/vite.config.ts …` (and `npm run web:build`): the API named by
// STUDYCLOCK_API_URL, else the address `npm start` listens on.
export default defineConfig(webAppConfig(process.env.STUDYCLOCK_API_URL ?? 'http://127.0.0.1:4000'));
