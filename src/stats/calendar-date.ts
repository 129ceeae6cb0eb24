import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** A calendar date, `YYYY-MM-DD` (years 0001 to 9999), with no time of day and no time zone. */
export type CalendarDate = string;

const FORMAT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a date {@link isCalendarDate} accepts. */
function dayNumber(date: CalendarDate): number {
  const [, y, m, d] = FORMAT.exec(date)!;
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const instant = new Date(0);
  instant.setUTCFullYear(Number(y), Number(m) - 1, Number(d));
  return Math.round(instant.getTime() / DAY_MS);
}

/** True when `value` is a real date in `YYYY-MM-DD` form: `2026-02-30` and year 0000 are not. */
export function isCalendarDate(value: unknown): value is CalendarDate {
  if (typeof value !== 'string') return false;
  const match = FORMAT.exec(value);
  if (!match) return false;
  const [y, m, d] = match.slice(1).map(Number) as [number, number, number];
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const daysInMonth = new Date(Date.UTC(2000, m, 0)).getUTCDate(); // 2000 is a leap year
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && !leap ? 28 : daysInMonth);
}

/** The number of days from `from` to `to` (negative when `to` comes first). */
export function daysFrom(from: CalendarDate, to: CalendarDate): number {
  return dayNumber(to) - dayNumber(from);
}

/** The date `days` days after `date` (before it when negative). */
export function addDays(date: CalendarDate, days: number): CalendarDate {
  const instant = new Date((dayNumber(date) + days) * DAY_MS);
  const y = String(instant.getUTCFullYear()).padStart(4, '0');
  const m = String(instant.getUTCMonth() + 1).padStart(2, '0');
  const d = String(instant.getUTCDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

function coerce(value: unknown): CalendarDate {
  if (!isCalendarDate(value)) throw new GraphQLError(`Date must be a calendar date as YYYY-MM-DD (years 0001 to 9999): ${JSON.stringify(value)}`);
  return value;
}

/**
 * The `Date` scalar: a calendar date as a `YYYY-MM-DD` string, in and out. Kept a string on the
 * server too: a JavaScript `Date` is an instant, and turning a calendar date into one picks a
 * time zone by accident. A malformed value is refused by GraphQL's coercion (BAD_USER_INPUT in
 * a variable, GRAPHQL_VALIDATION_FAILED in a literal).
 */
export const DateScalar = new GraphQLScalarType<CalendarDate, CalendarDate>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD.',
  serialize: coerce,
  parseValue: coerce,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Date must be a string as YYYY-MM-DD', { nodes: ast });
    return coerce(ast.value);
  },
});
