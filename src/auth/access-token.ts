import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { isUuid } from '../ids.js';

/** What an access token proves: who, which log-in (refresh-token family), until when. */
export interface AccessClaims {
  userId: string;
  /** The refresh-token family (one per log-in); revoking it invalidates the token at once. */
  familyId: string;
  expiresAt: Date;
}

/** Settings for issuing and verifying HS256 access tokens. */
export interface AccessTokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Skew tolerated on `exp` and `nbf` when verifying, in seconds. */
  clockToleranceSeconds: number;
}

/** Why a presented access token was not accepted. Safe to show to the client. */
export type TokenRejection = 'missing' | 'malformed' | 'expired' | 'invalid' | 'revoked';

/** Client-facing message for each {@link TokenRejection}. */
export const tokenRejectionMessages: Record<TokenRejection, string> = {
  missing: 'Authentication required',
  malformed: 'Malformed access token',
  expired: 'Access token expired',
  invalid: 'Invalid access token',
  revoked: 'Access token revoked or user unknown',
};

// RFC 9068's media type for JWT access tokens: a token of any other `typ` (an ID token, a
// token minted for something else with the same key) is refused.
const ACCESS_TOKEN_TYP = 'at+jwt';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

// The secret as a key object, made once per settings object: given a string, jsonwebtoken first
// tries it as a PEM public key (createPublicKey throws) and only then as a secret, on every call;
// that failed parse was a visible part of a WebSocket handshake's CPU.
const secretKeys = new WeakMap<AccessTokenSettings, KeyObject>();
function secretKey(settings: AccessTokenSettings): KeyObject {
  let key = secretKeys.get(settings);
  if (!key) secretKeys.set(settings, (key = createSecretKey(Buffer.from(settings.secret))));
  return key;
}

/** Signs an access token for `userId` in log-in `familyId`, valid from `now` for the configured TTL. */
export function signAccessToken(
  settings: AccessTokenSettings,
  subject: { userId: string; familyId: string },
  now: Date,
): { token: string; expiresAt: Date } {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + settings.ttlSeconds;
  const token = jwt.sign({ sid: subject.familyId, iat, exp }, secretKey(settings), {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: ACCESS_TOKEN_TYP },
    issuer: settings.issuer,
    audience: settings.audience,
    subject: subject.userId,
    jwtid: randomUUID(),
  });
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies signature (HS256 only), expiry (with the clock tolerance), issuer, audience and `typ` as of `now`.
 * Returns the claims or the reason for refusal; never throws for a bad token.
 */
export function verifyAccessToken(
  settings: AccessTokenSettings,
  token: string,
  now: Date,
): { ok: true; claims: AccessClaims } | { ok: false; reason: TokenRejection } {
  if (!JWT_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
  let decoded: jwt.Jwt;
  try {
    decoded = jwt.verify(token, secretKey(settings), {
      algorithms: ['HS256'],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTimestamp: Math.floor(now.getTime() / 1000),
      clockTolerance: settings.clockToleranceSeconds,
      complete: true,
    });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) return { ok: false, reason: 'expired' };
    if (err instanceof jwt.JsonWebTokenError && err.message === 'jwt malformed') return { ok: false, reason: 'malformed' };
    return { ok: false, reason: 'invalid' };
  }
  const payload = decoded.payload;
  if (decoded.header.typ !== ACCESS_TOKEN_TYP || typeof payload !== 'object') return { ok: false, reason: 'invalid' };
  const { sub, sid, exp } = payload as jwt.JwtPayload & { sid?: unknown };
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number' || !isUuid(sub) || !isUuid(sid)) {
    return { ok: false, reason: 'invalid' };
  }
  return { ok: true, claims: { userId: sub, familyId: sid, expiresAt: new Date(exp * 1000) } };
}
