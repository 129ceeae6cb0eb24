import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors,
  type FetchImplementation,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { TokenRejection } from './access-token.js';

/** Access tokens of an external identity provider, accepted besides the built-in ones. */
export interface ExternalAuth {
  verifier: ExternalTokenVerifier;
  /** Create a user on first sight of an unknown (issuer, subject); false: refuse the token ('revoked'). */
  autoProvision: boolean;
}

/** Algorithms an external identity provider may sign access tokens with (never a symmetric one). */
export type ExternalAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** Where the identity provider's public keys come from: exactly one of a JWKS URL or a PEM key. */
export type ExternalKeySource =
  | {
      /** JWKS URL; keys are fetched on first use and again on an unknown `kid`. */
      jwksUrl: string;
      /** Least time between two fetches, failed ones included. */
      cooldownSeconds: number;
    }
  | { /** PEM public key (SPKI). */ publicKeyPem: string };

/** How external access tokens are checked. */
export interface ExternalTokenSettings {
  /** Required `iss`. */
  issuer: string;
  /** Required in `aud`. */
  audience: string;
  /** Accepted `alg` values; each key verifies only one of them (see {@link pinAlgorithm}). */
  algorithms: readonly ExternalAlgorithm[];
  /** Skew tolerated on `exp` and `nbf`, in seconds. */
  clockToleranceSeconds: number;
  keys: ExternalKeySource;
}

/** What a verified external access token says about its bearer. */
export interface ExternalClaims {
  issuer: string;
  /** `sub`: the user at the identity provider, stable per issuer. */
  subject: string;
  /** `email`, unless absent or `email_verified` is false; not validated as an address here. */
  email: string | undefined;
  /** `exp` as an instant. */
  expiresAt: Date;
}

/** Result of {@link ExternalTokenVerifier.verify}. */
export type ExternalVerification = { ok: true; claims: ExternalClaims } | { ok: false; reason: TokenRejection };

/**
 * The identity provider's keys could not be fetched (network error, timeout, not 200, not a
 * JWKS, or a fetch refused by the cooldown after a failed one). Nothing can be said about the
 * token: SERVICE_UNAVAILABLE over HTTP, 1013 Try again later over WebSocket, not UNAUTHENTICATED.
 */
export class IdentityProviderUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('SERVICE_UNAVAILABLE');
    this.name = 'IdentityProviderUnavailableError';
    this.cause = cause;
  }
}

// RFC 9068 access tokens say so in the header; Keycloak says so in a `typ` claim instead.
const ACCESS_TOKEN_HEADER_TYP = /^(application\/)?at\+jwt$/i;
const GENERIC_HEADER_TYP = /^(application\/)?jwt$/i;
const ACCESS_TOKEN_CLAIM_TYP = /^bearer$/i;
// OpenID Connect caps `sub` at 255 ASCII characters.
const SUBJECT_MAX_LENGTH = 255;

/** The key shape each algorithm needs, as `kty` or `kty crv`. */
const KEY_SHAPE: Record<ExternalAlgorithm, string> = {
  RS256: 'RSA',
  PS256: 'RSA',
  ES256: 'EC P-256',
  EdDSA: 'OKP Ed25519',
};

/**
 * The one algorithm a key verifies: its own `alg` when it declares one (and that is accepted
 * and fits the key), otherwise the first accepted algorithm that fits its shape, so an RSA key
 * without `alg` verifies RS256 only unless PS256 comes first in the list. Undefined: the key
 * verifies nothing.
 */
export function pinAlgorithm(
  key: { shape: string; alg?: unknown },
  algorithms: readonly ExternalAlgorithm[],
): ExternalAlgorithm | undefined {
  if (key.alg !== undefined) {
    const declared = algorithms.find((a) => a === key.alg);
    return declared && KEY_SHAPE[declared] === key.shape ? declared : undefined;
  }
  return algorithms.find((a) => KEY_SHAPE[a] === key.shape);
}

function jwkShape(jwk: Record<string, unknown>): string {
  return jwk.kty === 'RSA' ? 'RSA' : `${String(jwk.kty)} ${String(jwk.crv)}`;
}

function keyObjectShape(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RSA';
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'EC P-256' : 'EC other';
    case 'ed25519':
      return 'OKP Ed25519';
    default:
      return String(key.asymmetricKeyType);
  }
}

/**
 * The fetched key set with every key pinned to one algorithm (`alg` set by {@link pinAlgorithm});
 * keys that verify nothing are dropped. jose then selects by `kid` and `alg` among these only.
 */
function pinKeySet(body: unknown, algorithms: readonly ExternalAlgorithm[]): unknown {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) return body;
  const keys: Record<string, unknown>[] = [];
  for (const key of (body as { keys: unknown[] }).keys) {
    if (typeof key !== 'object' || key === null) continue;
    const jwk = key as Record<string, unknown>;
    const alg = pinAlgorithm({ shape: jwkShape(jwk), alg: jwk.alg }, algorithms);
    if (alg) keys.push({ ...jwk, alg });
  }
  return { keys };
}

/**
 * Fetches the JWKS for jose's remote key set, at most once per `cooldownMs` whatever happens
 * (jose's own cooldown only starts after a successful fetch, so an identity provider that is
 * down would otherwise be asked again on every token), and pins each key to one algorithm.
 */
function pinnedKeyFetcher(cooldownMs: number, algorithms: readonly ExternalAlgorithm[]): FetchImplementation {
  let lastAttempt = Number.NEGATIVE_INFINITY;
  return async (url, options) => {
    const now = Date.now();
    if (now - lastAttempt < cooldownMs) throw new Error('JWKS fetch skipped: the last attempt was within the cooldown');
    lastAttempt = now;
    const response = await fetch(url, options);
    if (response.status !== 200) return response;
    const body: unknown = await response.json();
    return Response.json(pinKeySet(body, algorithms));
  };
}

/** jose's verdicts on the token itself (as opposed to failures to obtain keys). */
function rejectionOf(err: unknown): TokenRejection | undefined {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed';
  if (
    err instanceof errors.JWTClaimValidationFailed ||
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JOSEAlgNotAllowed ||
    err instanceof errors.JOSENotSupported ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JWKInvalid
  ) {
    return 'invalid';
  }
  return undefined;
}

/**
 * True when the token says it is an access token: header `typ` `at+jwt` (RFC 9068), or a `typ`
 * claim `Bearer` (Keycloak) under a header `typ` of `JWT` or none. Anything else is refused: ID
 * tokens (no marker, or Keycloak's `typ: "ID"`), refresh and logout tokens, other `+jwt` types.
 */
function isAccessToken(header: JWTHeaderParameters, payload: JWTPayload): boolean {
  const headerTyp = header.typ;
  const headerSaysAccess = typeof headerTyp === 'string' && ACCESS_TOKEN_HEADER_TYP.test(headerTyp);
  const headerIsGeneric = headerTyp === undefined || (typeof headerTyp === 'string' && GENERIC_HEADER_TYP.test(headerTyp));
  if (!headerSaysAccess && !headerIsGeneric) return false;
  const claimTyp = payload.typ;
  if (claimTyp === undefined) return headerSaysAccess;
  return typeof claimTyp === 'string' && ACCESS_TOKEN_CLAIM_TYP.test(claimTyp);
}

/**
 * Verifies access tokens of one external identity provider with jose: signature by a key of
 * the configured JWKS (selected by `kid` among those keys only; `jku`, `x5u` and embedded `jwk`
 * headers are ignored) or of the configured PEM key, each key pinned to one algorithm; `iss`,
 * `aud` and `exp` required, `exp`/`nbf` with the clock tolerance; an access-token `typ` (see
 * {@link isAccessToken}); a `sub` of 1–255 characters.
 */
export class ExternalTokenVerifier {
  readonly #settings: ExternalTokenSettings;
  readonly #getKey: JWTVerifyGetKey | KeyObject;
  readonly #algorithms: readonly ExternalAlgorithm[];

  /** Throws at start-up when a PEM key fits none of the accepted algorithms. */
  constructor(settings: ExternalTokenSettings) {
    this.#settings = settings;
    if ('jwksUrl' in settings.keys) {
      const cooldownMs = settings.keys.cooldownSeconds * 1000;
      const remote = createRemoteJWKSet(new URL(settings.keys.jwksUrl), {
        cooldownDuration: cooldownMs,
        // Refetched every 10 minutes (so a key withdrawn without rotation stops verifying), but
        // never more often than the cooldown allows: the fetcher would refuse the reload.
        cacheMaxAge: Math.max(600_000, cooldownMs),
        [customFetch]: pinnedKeyFetcher(cooldownMs, settings.algorithms),
      });
      this.#algorithms = settings.algorithms;
      this.#getKey = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (err) {
          throw rejectionOf(err) ? err : new IdentityProviderUnavailableError(err);
        }
      };
    } else {
      const key = createPublicKey(settings.keys.publicKeyPem);
      const alg = pinAlgorithm({ shape: keyObjectShape(key) }, settings.algorithms);
      if (!alg) {
        throw new Error(`JWT_PUBLIC_KEY: a ${keyObjectShape(key)} key fits none of JWT_EXTERNAL_ALGORITHMS (${settings.algorithms.join(', ')})`);
      }
      this.#algorithms = [alg];
      this.#getKey = key;
    }
  }

  /** True when `token`'s header names one of the accepted algorithms: it is this verifier's to judge. */
  handles(token: string): boolean {
    try {
      const { alg } = decodeProtectedHeader(token);
      return this.#settings.algorithms.some((a) => a === alg);
    } catch {
      return false;
    }
  }

  /**
   * Verifies `token` as of `now`. Returns the claims or the reason for refusal; throws
   * {@link IdentityProviderUnavailableError} only when the keys could not be fetched.
   */
  async verify(token: string, now: Date): Promise<ExternalVerification> {
    const { issuer, audience, clockToleranceSeconds } = this.#settings;
    let header: JWTHeaderParameters;
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: [...this.#algorithms],
        issuer,
        audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: clockToleranceSeconds,
        currentDate: now,
      };
      const verified =
        typeof this.#getKey === 'function'
          ? await jwtVerify(token, this.#getKey, options)
          : await jwtVerify(token, this.#getKey, options);
      header = verified.protectedHeader;
      payload = verified.payload;
    } catch (err) {
      if (err instanceof IdentityProviderUnavailableError) throw err;
      const reason = rejectionOf(err);
      if (reason) return { ok: false, reason };
      throw err;
    }
    const { sub, exp } = payload;
    if (!isAccessToken(header, payload)) return { ok: false, reason: 'invalid' };
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > SUBJECT_MAX_LENGTH || typeof exp !== 'number') {
      return { ok: false, reason: 'invalid' };
    }
    const email = typeof payload.email === 'string' && payload.email_verified !== false ? payload.email : undefined;
    return { ok: true, claims: { issuer, subject: sub, email, expiresAt: new Date(exp * 1000) } };
  }
}

/**
 * The external identity provider set up by the configuration (`JWT_JWKS_URL` or
 * `JWT_PUBLIC_KEY`, with `JWT_EXTERNAL_*`), or undefined when there is none. Throws at start-up
 * when the PEM key fits none of the accepted algorithms.
 */
export function createExternalAuth(config: Config): ExternalAuth | undefined {
  const keys: ExternalKeySource | undefined = config.JWT_JWKS_URL
    ? { jwksUrl: config.JWT_JWKS_URL, cooldownSeconds: config.JWT_JWKS_COOLDOWN_SECONDS }
    : config.JWT_PUBLIC_KEY
      ? { publicKeyPem: config.JWT_PUBLIC_KEY }
      : undefined;
  // loadConfig guarantees both with a key source.
  if (!keys || !config.JWT_EXTERNAL_ISSUER || !config.JWT_EXTERNAL_AUDIENCE) return undefined;
  const verifier = new ExternalTokenVerifier({
    issuer: config.JWT_EXTERNAL_ISSUER,
    audience: config.JWT_EXTERNAL_AUDIENCE,
    algorithms: config.JWT_EXTERNAL_ALGORITHMS,
    clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
    keys,
  });
  return { verifier, autoProvision: config.EXTERNAL_USERS_AUTO_PROVISION };
}
