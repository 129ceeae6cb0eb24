import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { type DatabaseTarget, embeddedDirectory } from '../db/database.js';
import type { Logger } from '../logger.js';

/** The file, in EMBEDDED_DB_DIR, that keeps the development signing secret. */
export const DEVELOPMENT_SECRET_FILE = 'jwt-secret';

/**
 * The configuration to run with, as to its HS256 secret. With `JWT_SECRET` set: `config`
 * itself. Unset (never in production: `loadConfig` refuses that), and the server opening the
 * embedded database on a directory (`target`): the secret kept in that directory's
 * {@link DEVELOPMENT_SECRET_FILE}, made at the first start (file mode 0600), so that a restart
 * of `npm start` does not log everyone out; it goes with the database when the directory is
 * deleted. Otherwise (a `DATABASE_URL`, `memory://`, a database handed in): the random secret
 * `loadConfig` made for this process, with a warning. The secret itself is never logged.
 *
 * Rejects, naming the file, when it exists and holds less than 32 bytes.
 */
export async function withDevelopmentSecret(config: Config, target: DatabaseTarget | undefined, logger: Logger): Promise<Config> {
  if (!config.jwtSecretGenerated) return config;
  const dir = target && embeddedDirectory(target);
  if (!dir) {
    logger.warn('JWT_SECRET is unset: using a random secret for this process; tokens will not survive a restart');
    return config;
  }
  const file = join(dir, DEVELOPMENT_SECRET_FILE);
  const secret = await keptSecret(file, config.JWT_SECRET);
  logger.info(`JWT_SECRET is unset: signing with the development secret kept in ${file}`);
  return Object.freeze({ ...config, JWT_SECRET: secret });
}

/** The secret in `file`; when there is none yet, `fresh`, written there first. */
async function keptSecret(file: string, fresh: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  // Written whole under another name, then linked into place (which fails if the file exists):
  // neither a crash nor a second process starting at the same moment can leave a partial file.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(draft, file);
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(draft);
  }
  const kept = (await readFile(file, 'utf8')).trim();
  if (Buffer.byteLength(kept, 'utf8') < 32) {
    throw new Error(`${file} holds no signing secret of at least 32 bytes: delete it to have a new one made (everyone signed in is logged out)`);
  }
  return kept;
}
