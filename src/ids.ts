import { badInput } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID in canonical text form (the only id shape studyclock issues). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Returns `value` lower-cased when it is a well-formed id; otherwise throws BAD_USER_INPUT naming
 * `field`. Ids are checked before any query so a malformed one never reaches the database.
 */
export function parseId(field: string, value: string): string {
  if (!isUuid(value)) throw badInput(field, `${field} is not a valid id`);
  return value.toLowerCase();
}
