import { createHash } from 'node:crypto';

/**
 * A spent refresh token presented again within this long of its use, by the client that spent
 * it, is refused without revoking its log-in: two tabs refreshing at the same moment are not a
 * theft. Any other reuse is (see {@link refreshReuseTheft}).
 */
export const REFRESH_REUSE_GRACE_MS = 10_000;

/** The client presenting a refresh token, as the transport sees it. */
export interface RefreshClient {
  /** Client address (through TRUST_PROXY). */
  ip: string | undefined;
  /** The `User-Agent` header (of the upgrade request, over a WebSocket). */
  userAgent: string | undefined;
}

/**
 * What a spent refresh token keeps of the client that spent it: a SHA-256 of its address and
 * user agent, enough to tell two clients apart without storing either.
 */
export function refreshClientKey(client: RefreshClient): string {
  return createHash('sha256').update(JSON.stringify([client.ip ?? null, client.userAgent ?? null])).digest('hex');
}

/** Why presenting a spent refresh token again counts as theft. */
export type RefreshReuseTheft = 'after_grace' | 'other_client';

/**
 * Whether presenting a spent refresh token again, by `presentedBy` (a {@link refreshClientKey})
 * at `now`, is theft, which revokes its log-in: reuse more than {@link REFRESH_REUSE_GRACE_MS}
 * after the token was spent (`after_grace`), or within it from a client whose address or user
 * agent differs from the one that spent it (`other_client`: a thief who refreshed first, found
 * out by the victim's own refresh). Null for the same client within the grace, or a token spent
 * before clients were recorded (`usedByClient` null). A client whose address changes between
 * two racing refreshes is logged out too: the safe mistake.
 */
export function refreshReuseTheft(
  spent: { usedAt: Date; usedByClient: string | null },
  presentedBy: string,
  now: Date,
): RefreshReuseTheft | null {
  if (now.getTime() - spent.usedAt.getTime() >= REFRESH_REUSE_GRACE_MS) return 'after_grace';
  if (spent.usedByClient !== null && spent.usedByClient !== presentedBy) return 'other_client';
  return null;
}
