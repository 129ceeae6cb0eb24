import type { CookieOptions, Request, Response } from 'express';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { AuthCookieJar } from '../graphql/context.js';

/** Name of the httpOnly cookie holding the access token (sent on every path). */
export const ACCESS_COOKIE = 'studyclock_access';
/** Name of the httpOnly cookie holding the refresh token (sent only to `/graphql`). */
export const REFRESH_COOKIE = 'studyclock_refresh';

type CookieConfig = Pick<Config, 'COOKIE_SECURE' | 'COOKIE_SAME_SITE'>;

function baseOptions(config: CookieConfig): CookieOptions {
  return { httpOnly: true, secure: config.COOKIE_SECURE, sameSite: config.COOKIE_SAME_SITE };
}

/** The auth cookies of one HTTP exchange. Requires cookie-parser in front. */
export function authCookieJar(req: Request, res: Response, config: CookieConfig, clock: Clock): AuthCookieJar {
  const cookies = (req.cookies ?? {}) as Record<string, unknown>;
  const refresh = cookies[REFRESH_COOKIE];
  return {
    refreshToken: typeof refresh === 'string' && refresh.length > 0 ? refresh : undefined,
    set(tokens) {
      // Lifetimes from the same clock that set the expiry instants.
      const now = clock.now().getTime();
      res.cookie(ACCESS_COOKIE, tokens.accessToken, {
        ...baseOptions(config),
        path: '/',
        maxAge: tokens.expiresAt.getTime() - now,
      });
      res.cookie(REFRESH_COOKIE, tokens.refreshToken, {
        ...baseOptions(config),
        path: '/graphql',
        maxAge: tokens.refreshExpiresAt.getTime() - now,
      });
    },
    clear() {
      res.clearCookie(ACCESS_COOKIE, { ...baseOptions(config), path: '/' });
      res.clearCookie(REFRESH_COOKIE, { ...baseOptions(config), path: '/graphql' });
    },
  };
}

/** The access token from the access cookie, if any. */
export function accessTokenFromCookies(cookies: unknown): string | undefined {
  const value = (cookies as Record<string, unknown> | undefined)?.[ACCESS_COOKIE];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The token of an `Authorization: Bearer …` header. A header in any other shape yields an empty
 * string, which authentication reports as malformed rather than missing.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}
