import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type InlineConfig, type ProxyOptions } from 'vite';

/** The app's folder: Vite's root whatever the working directory. */
export const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));

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
    plugins: [react()],
    server: { proxy },
    preview: { proxy },
    build: { outDir: 'dist', emptyOutDir: true },
    clearScreen: false,
  };
}

// `vite --config examples/web/vite.config.ts …` (and `npm run web:build`): the API named by
// STUDYCLOCK_API_URL, else the address `npm start` listens on.
export default defineConfig(webAppConfig(process.env.STUDYCLOCK_API_URL ?? 'http://127.0.0.1:4000'));
