import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TokenSettings } from './protocol.js';

// The shape studyclock issues and accepts (src/auth/access-token.ts), rebuilt here rather than
// imported so the benchmark does not depend on server internals that are being moved: HS256,
// header `typ: at+jwt`, `sub` the user, `sid` the log-in (refresh-token family).
const ACCESS_TOKEN_TYP = 'at+jwt';

/** Signs an access token for `userId` in log-in `familyId`, valid for `settings.ttlSeconds` from now. */
export function signAccessToken(settings: TokenSettings, userId: string, familyId: string): string {
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ sid: familyId, iat, exp: iat + settings.ttlSeconds }, settings.secret, {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: ACCESS_TOKEN_TYP },
    issuer: settings.issuer,
    audience: settings.audience,
    subject: userId,
    jwtid: randomUUID(),
  });
}

/**
 * Verifies a token the way studyclock's built-in check does, minus the database lookup:
 * HS256 only, signature, expiry, issuer, audience, `typ` and a `sub`. Returns the user id, or
 * undefined for any token it refuses. The baselines call it so they pay for authentication too.
 */
export function verifyAccessToken(settings: Omit<TokenSettings, 'ttlSeconds'>, token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const decoded = jwt.verify(token, settings.secret, {
      algorithms: ['HS256'],
      issuer: settings.issuer,
      audience: settings.audience,
      complete: true,
    });
    const payload = decoded.payload;
    if (decoded.header.typ !== ACCESS_TOKEN_TYP || typeof payload !== 'object' || typeof payload.sub !== 'string') return undefined;
    return payload.sub;
  } catch {
    return undefined;
  }
}
