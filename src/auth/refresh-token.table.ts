import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * `refresh_token_families`: one row per log-in. Every refresh token issued by rotating from that
 * log-in belongs to the family, and access tokens carry the family id as `sid`, so revoking the
 * family (log-out, reuse detected) ends the whole log-in at once.
 */
export interface RefreshTokenFamilyTable {
  id: string;
  user_id: string;
  created_at: Generated<Date>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The `User-Agent` of the client that created or last refreshed the log-in (cut to 512 characters); null: not sent, or before it was kept. */
  user_agent: ColumnType<string | null, string | null | undefined, string | null>;
  /** That client's address (TRUST_PROXY applied); null when unknown. */
  address: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the log-in was created or last refreshed. */
  last_used_at: ColumnType<Date, Date | undefined, Date>;
}

/** `refresh_tokens`: opaque single-use tokens, stored only as their SHA-256. */
export interface RefreshTokenTable {
  id: string;
  family_id: string;
  token_hash: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Who spent it: `refreshClient` of the request (null while unused, and for tokens spent before it was kept). */
  used_by_client: ColumnType<string | null, string | null | undefined, string | null>;
}

export type RefreshTokenFamilyRow = Selectable<RefreshTokenFamilyTable>;
export type RefreshTokenRow = Selectable<RefreshTokenTable>;
