import type { Kysely } from 'kysely';
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration';
import * as initial from './migrations/2026-11-23T1200_initial.js';
import * as realtime from './migrations/2026-11-23T1800_realtime.js';
import * as externalIdentities from './migrations/2026-11-23T2300_external_identities.js';
import * as subjectOrder from './migrations/2026-11-24T0100_subject_order.js';
import * as refreshTokenClient from './migrations/2026-12-06T1200_refresh_token_client.js';
import * as studyHistory from './migrations/2026-12-06T1200_study_history.js';
import * as clusterPresence from './migrations/2026-12-07T0000_cluster_presence.js';
import * as subjectAndSessionManagement from './migrations/2026-12-07T0100_subject_and_session_management.js';
import * as loginClients from './migrations/2026-12-07T0200_login_clients.js';
import * as breaks from './migrations/2026-12-07T0300_breaks.js';

/**
 * Every migration, by timestamped name. Listed statically (rather than read from the folder at
 * run time) so the same list works under tsx, Jest and the compiled build.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-23T1200_initial': initial,
  '2026-11-23T1800_realtime': realtime,
  '2026-11-23T2300_external_identities': externalIdentities,
  '2026-11-24T0100_subject_order': subjectOrder,
  '2026-12-06T1200_refresh_token_client': refreshTokenClient,
  '2026-12-06T1200_study_history': studyHistory,
  '2026-12-07T0000_cluster_presence': clusterPresence,
  '2026-12-07T0100_subject_and_session_management': subjectAndSessionManagement,
  '2026-12-07T0200_login_clients': loginClients,
  '2026-12-07T0300_breaks': breaks,
};

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; throws the first failure (nothing after it is applied). */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) throw result.error;
  return result;
}

/** Reverts the most recent migration. */
export async function migrateDown(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateDown();
  if (result.error) throw result.error;
  return result;
}
