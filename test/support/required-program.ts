import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first executable called `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * Why the `suite` tests, which need a program that may be missing here (`found` false), cannot
 * run, or null when they can. A missing program is a reason to skip only outside CI (the reason
 * is then `missing`), or in CI when `.ci/run` could not install it and said why in the
 * environment variable `unavailableVariable` (if it has one); otherwise the suite runs, and fails for want of it.
 * A reason is printed on stderr, for the log.
 */
export function programUnavailable(options: { suite: string; found: boolean; missing: string; unavailableVariable?: string }): string | null {
  if (options.found) return null;
  const said = options.unavailableVariable === undefined ? undefined : process.env[options.unavailableVariable];
  const reason = said ?? (process.env.CI === 'true' ? null : options.missing);
  if (reason) process.stderr.write(`${options.suite} tests skipped: ${reason}\n`);
  return reason;
}
