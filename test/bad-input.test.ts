import {
  CREATE_SUBJECT,
  createSubject,
  PASSWORD,
  PAUSE_SESSION,
  RESUME_SESSION,
  SESSION,
  SESSIONS,
  SIGN_UP,
  START_SESSION,
  STOP_SESSION,
  signUpStudent,
  type Student,
} from './support/fixtures.js';
import type { AnyOperation, GraphQLErrorBody } from './support/graphql-client.js';
import { snapshotDatabase } from './support/database.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
/** The student every row runs as (unless it signs up anonymously). */
let student: Student;
/** Ids the student really owns, for rows that damage a real id. */
const own = { subjectId: '', sessionId: '' };

beforeAll(async () => {
  t = await startTestServer();
  student = await signUpStudent(t.client());
  own.subjectId = await createSubject(student, 'Calculus');
  const started = await student.client.ok(START_SESSION, { input: { subjectId: own.subjectId, type: 'FREE' } });
  own.sessionId = started.startSession.id;
  t.clock.advanceSeconds(30);
  // Stopped, so the student has no unfinished session: a valid startSession in any row below
  // would succeed and show up in the database.
  await student.client.ok(STOP_SESSION, { id: own.sessionId });
});
afterAll(() => t.close());

const snapshot = () => snapshotDatabase(t.db.handle.db);

/** What must never reach a client: stack frames, SQL or driver wording, server file paths. */
const LEAKS = {
  stackFrame: [/(^|\n)\s*at\s/, /\bat\s+\S+\s+\(.*:\d+:\d+\)/, /:\d+:\d+\)?\s*$/m],
  SQL: [
    /\bselect\b[\s\S]*\bfrom\b/i,
    /\binsert\s+into\b/i,
    /\bupdate\s+\w+\s+set\b/i,
    /\bdelete\s+from\b/i,
    /\bdrop\s+table\b/i,
    /syntax error at or near|violates|duplicate key|constraint|relation "|invalid input syntax|out of range|byte sequence/i,
    /postgres|pglite|kysely|sqlstate/i,
  ],
  filePath: [/(^|[\s"'(])(\/|[a-z]:\\)[\w.-]+[/\\]/i, /file:\/\/|node_modules|\bsrc\/|\btest\//, /\.[cm]?[tj]sx?:\d+/],
};

/** The error carries nothing but the public shape: no stack, no exception, no SQL, no paths. */
function expectNothingInternal(error: GraphQLErrorBody): void {
  expect(Object.keys(error).filter((k) => !['message', 'locations', 'path', 'extensions'].includes(k))).toEqual([]);
  expect(error.extensions).not.toHaveProperty('stacktrace');
  expect(error.extensions).not.toHaveProperty('exception');
  expect(JSON.stringify(error)).not.toMatch(/stack|exception/i);
  for (const pattern of Object.values(LEAKS).flat()) expect(error.message).not.toMatch(pattern);
}

/** What a refused request must answer. */
interface Expected {
  code: string;
  /** `extensions.field`, where the implementation names the offending argument. */
  field?: string;
  message: string | RegExp;
}

type Variables = Record<string, unknown>;

/** One refused request and everything about the answer. */
interface Row {
  operation: string;
  /** What is wrong with the input, for the test's name. */
  input: string;
  document: AnyOperation;
  /** A function when the variables use ids only known once `beforeAll` ran. */
  variables: Variables | (() => Variables);
  /** Sign-up rows run without credentials. */
  anonymous?: boolean;
  expected: Expected;
  /** 200 for errors raised by a resolver, 400 for a request GraphQL refuses before running it. */
  httpStatus: number;
  /** `data` of the response: absent (400), null, or the nullable root field set to null. */
  data: unknown;
}

type Case = Pick<Row, 'input' | 'variables' | 'expected'>;

/** BAD_USER_INPUT naming `field`. */
const invalid = (field: string, message: string | RegExp): Expected => ({ code: 'BAD_USER_INPUT', field, message });

/** Rows for one operation whose resolver refuses the input: HTTP 200, `data` as given. */
function resolverRows(operation: string, document: AnyOperation, data: unknown, cases: Case[]): Row[] {
  return cases.map((c) => ({ operation, document, data, httpStatus: 200, ...c }));
}

/** Rows GraphQL itself refuses (variable coercion, parsing, validation): HTTP 400, no data. */
function requestRows(cases: (Case & Pick<Row, 'operation' | 'document'>)[]): Row[] {
  return cases.map((c) => ({ data: undefined, httpStatus: 400, ...c }));
}

const createSubjectRows = resolverRows('createSubject', CREATE_SUBJECT, null, [
  { input: 'an empty name', variables: { name: '' }, expected: invalid('name', 'name must not be empty') },
  { input: 'a whitespace-only name', variables: { name: ' \t\n  ' }, expected: invalid('name', 'name must not be empty') },
  { input: 'an 81-character name', variables: { name: 'x'.repeat(81) }, expected: invalid('name', 'name must be at most 80 characters') },
  {
    input: 'an 81-character name inside spaces',
    variables: { name: `  ${'y'.repeat(81)}  ` },
    expected: invalid('name', 'name must be at most 80 characters'),
  },
  // PostgreSQL text cannot hold U+0000: such a name must be refused as input, not fail in the database.
  { input: 'a name containing a NUL character', variables: { name: 'Cal\u0000culus' }, expected: invalid('name', /^name\b/) },
  ...['CALCULUS', ' calculus '].map((name) => ({
    input: `"${name}" when "Calculus" exists`,
    variables: { name },
    expected: { code: 'SUBJECT_NAME_TAKEN', message: 'You already have a subject with that name' },
  })),
]);

const malformedIds: { input: string; id: (real: string) => string }[] = [
  { input: "'abc'", id: () => 'abc' },
  { input: "''", id: () => '' },
  { input: "'123'", id: () => '123' },
  { input: 'a real UUID with a trailing character', id: (real) => `${real}a` },
  { input: 'a real UUID without its hyphens', id: (real) => real.replaceAll('-', '') },
  { input: `"1' OR '1'='1"`, id: () => "1' OR '1'='1" },
  { input: 'a real UUID followed by a DROP TABLE', id: (real) => `${real}'; DROP TABLE study_sessions; --` },
];

/**
 * Every malformed id for one id argument. `real` is the id of the student's that the argument
 * would accept, so that "a real UUID with a trailing character" is one character off a match.
 */
function malformedIdRows(
  operation: string,
  document: AnyOperation,
  data: unknown,
  field: string,
  real: () => string,
  variables: (id: string) => Variables,
): Row[] {
  return resolverRows(
    operation,
    document,
    data,
    malformedIds.map(({ input, id }) => ({
      input,
      variables: () => variables(id(real())),
      expected: invalid(field, `${field} is not a valid id`),
    })),
  );
}

const idRows: Row[] = [
  ...malformedIdRows('session(id)', SESSION, { session: null }, 'id', () => own.sessionId, (id) => ({ id })),
  ...malformedIdRows('pauseSession(sessionId)', PAUSE_SESSION, null, 'sessionId', () => own.sessionId, (id) => ({ id })),
  ...malformedIdRows('resumeSession(sessionId)', RESUME_SESSION, null, 'sessionId', () => own.sessionId, (id) => ({ id })),
  ...malformedIdRows('stopSession(sessionId)', STOP_SESSION, null, 'sessionId', () => own.sessionId, (id) => ({ id })),
  ...malformedIdRows('startSession(input.subjectId)', START_SESSION, null, 'subjectId', () => own.subjectId, (subjectId) => ({
    input: { subjectId, type: 'FREE' },
  })),
  ...malformedIdRows('sessions(subjectId)', SESSIONS, null, 'subjectId', () => own.subjectId, (subjectId) => ({ subjectId })),
];

const focusMinutesRows = resolverRows('startSession', START_SESSION, null, [
  ...[0, -5, 181].map((focusMinutes) => ({
    input: `focusMinutes ${focusMinutes}`,
    variables: () => ({ input: { subjectId: own.subjectId, type: 'POMODORO', focusMinutes } }),
    expected: invalid('focusMinutes', 'focusMinutes must be between 1 and 180'),
  })),
  {
    input: 'focusMinutes on a FREE session',
    variables: () => ({ input: { subjectId: own.subjectId, type: 'FREE', focusMinutes: 25 } }),
    expected: invalid('focusMinutes', 'focusMinutes applies to POMODORO sessions only'),
  },
]);

const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const SOME_UUID = '8a1c3a2e-56d7-4b8e-9f10-2b3c4d5e6f70';
const SOME_INSTANT = '2026-01-05T09:00:00.000Z';

const sessionPageRows = resolverRows('sessions', SESSIONS, null, [
  ...[0, 101, -1].map((first) => ({
    input: `first ${first}`,
    variables: { first },
    expected: invalid('first', 'first must be between 1 and 100'),
  })),
  ...[
    { input: "after 'garbage'", after: 'garbage' },
    { input: "after ''", after: '' },
    { input: 'after: base64url of a JSON object', after: cursorOf({ startedAt: SOME_INSTANT, id: SOME_UUID }) },
    { input: 'after: base64url of JSON null', after: cursorOf(null) },
    { input: 'after: base64url of a one-element array', after: cursorOf([SOME_INSTANT]) },
    { input: 'after: base64url of [instant, non-UUID]', after: cursorOf([SOME_INSTANT, 'abc']) },
    { input: 'after: base64url of [non-instant, UUID]', after: cursorOf(['yesterday-ish', SOME_UUID]) },
    { input: 'after: base64url of [number, UUID]', after: cursorOf([Date.parse(SOME_INSTANT), SOME_UUID]) },
    // A valid JavaScript instant that PostgreSQL's timestamptz cannot hold (it starts in 4713 BC).
    { input: 'after: a cursor in the year 4715 BC', after: cursorOf(['-004714-01-01T00:00:00.000Z', SOME_UUID]) },
  ].map(({ input, after }) => ({ input, variables: { after }, expected: invalid('after', 'after is not a valid cursor') })),
]);

const signUpRows = resolverRows('signUp', SIGN_UP, null, [
  ...['not-an-email', '', 'user@@example.com', "x' OR '1'='1@example.com"].map((email) => ({
    input: `email ${JSON.stringify(email)}`,
    variables: { input: { email, password: PASSWORD } },
    expected: invalid('email', 'email is not a valid email address'),
  })),
  {
    input: 'a 262-character email',
    variables: { input: { email: `${'a'.repeat(250)}@example.com`, password: PASSWORD } },
    expected: invalid('email', 'email is too long'),
  },
  ...[
    { input: 'a 9-character password', password: 'abcdefgh1', message: 'password must be at least 10 characters' },
    { input: 'a 129-character password', password: 'x1y2z'.repeat(26).slice(0, 129), message: 'password must be at most 128 characters' },
    { input: 'a password of 2 distinct characters', password: 'abababababab', message: 'password must use at least 5 different characters' },
    { input: "a password containing the email's local part", password: 'hello margaret 2026', message: 'password must not contain your email' },
  ].map(({ input, password, message }) => ({
    input,
    variables: { input: { email: 'margaret@example.com', password } },
    expected: invalid('password', message),
  })),
]).map((row) => ({ ...row, anonymous: true }));

// Variable coercion happens before any resolver runs; Apollo answers it with BAD_USER_INPUT
// (without `field`) and HTTP 400.
const coercion = (message: RegExp): Expected => ({ code: 'BAD_USER_INPUT', message });
const coercionRows = requestRows([
  {
    operation: 'startSession',
    input: 'focusMinutes "ten"',
    document: START_SESSION,
    variables: { input: { subjectId: SOME_UUID, type: 'POMODORO', focusMinutes: 'ten' } },
    expected: coercion(/^Variable "\$input" got invalid value "ten" at "input\.focusMinutes"; Int cannot represent non-integer value: "ten"$/),
  },
  {
    operation: 'startSession',
    input: 'focusMinutes 2.5',
    document: START_SESSION,
    variables: { input: { subjectId: SOME_UUID, type: 'POMODORO', focusMinutes: 2.5 } },
    expected: coercion(/Int cannot represent non-integer value: 2\.5$/),
  },
  {
    operation: 'startSession',
    input: 'type "SPRINT"',
    document: START_SESSION,
    variables: { input: { subjectId: SOME_UUID, type: 'SPRINT' } },
    expected: coercion(/^Variable "\$input" got invalid value "SPRINT" at "input\.type"; Value "SPRINT" does not exist in "SessionType" enum\.$/),
  },
  {
    operation: 'startSession',
    input: 'no subjectId',
    document: START_SESSION,
    variables: { input: { type: 'FREE' } },
    expected: coercion(/Field "subjectId" of required type "ID!" was not provided\.$/),
  },
  {
    operation: 'session',
    input: 'id null',
    document: SESSION,
    variables: { id: null },
    expected: coercion(/^Variable "\$id" of non-null type "ID!" must not be null\.$/),
  },
  {
    operation: 'sessions',
    input: 'status "DONE"',
    document: SESSIONS,
    variables: { status: 'DONE' },
    expected: coercion(/Value "DONE" does not exist in "SessionStatus" enum\.$/),
  },
  {
    operation: 'sessions',
    input: 'first 2^31',
    document: SESSIONS,
    variables: { first: 2 ** 31 },
    expected: coercion(/Int cannot represent non 32-bit signed integer value: 2147483648$/),
  },
]);

const documentRows = requestRows([
  {
    operation: 'a query',
    input: 'an unclosed selection set',
    document: 'query { me { id }',
    variables: {},
    expected: { code: 'GRAPHQL_PARSE_FAILED', message: /^Syntax Error: / },
  },
  {
    operation: 'a mutation',
    input: 'a mismatched bracket',
    document: 'mutation { startSession(input: { subjectId: "x", type: FREE ) { id } }',
    variables: {},
    expected: { code: 'GRAPHQL_PARSE_FAILED', message: /^Syntax Error: / },
  },
  {
    operation: 'a query',
    input: 'an unknown field',
    document: '{ me { id shoeSize } }',
    variables: {},
    expected: { code: 'GRAPHQL_VALIDATION_FAILED', message: /^Cannot query field "shoeSize" on type "User"\.$/ },
  },
  {
    operation: 'a query',
    input: 'an unknown argument',
    document: '{ sessions(limit: 5) { pageInfo { hasNextPage } } }',
    variables: {},
    expected: { code: 'GRAPHQL_VALIDATION_FAILED', message: /^Unknown argument "limit" on field "Query\.sessions"\./ },
  },
  {
    operation: 'a mutation',
    input: 'an unknown enum literal',
    document: `mutation { startSession(input: { subjectId: "${SOME_UUID}", type: SPRINT }) { id } }`,
    variables: {},
    expected: { code: 'GRAPHQL_VALIDATION_FAILED', message: /^Value "SPRINT" does not exist in "SessionType" enum\.$/ },
  },
]);

describe.each([
  ['createSubject', createSubjectRows],
  ['malformed ids', idRows],
  ['focusMinutes', focusMinutesRows],
  ['session pages', sessionPageRows],
  ['signUp', signUpRows],
  ['GraphQL type errors', coercionRows],
  ['unparsable and invalid documents', documentRows],
])('%s', (_group, rows) => {
  it.each(rows)('$operation with $input answers $expected.code and changes nothing', async (row) => {
    const before = await snapshot();
    const client = row.anonymous ? t.client() : student.client;
    const variables = typeof row.variables === 'function' ? row.variables() : row.variables;

    // The variables are ill-typed for the document on purpose: sent as a plain string.
    const res = await client.request(String(row.document), variables);

    // Exactly one error and no result; on failure the diff shows whatever came back instead.
    expect({ status: res.status, data: res.data, errors: res.errors }).toEqual({
      status: row.httpStatus,
      data: row.data,
      errors: [expect.anything()],
    });
    const error = res.errors![0]!;
    expectNothingInternal(error);
    const { code, field, message } = row.expected;
    expect(error.extensions).toEqual(field === undefined ? { code } : { code, field });
    expect(error.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    expect(await snapshot()).toEqual(before);
  });
});

// The other side of the limits above, so the refused rows are refused for their value alone.
describe('the limits themselves', () => {
  it('accepts a name of exactly 80 characters', async () => {
    const name = 'z'.repeat(80);
    const data = await student.client.ok(CREATE_SUBJECT, { name });
    expect(data.createSubject.name).toBe(name);
  });

  it.each([1, 100])('accepts sessions(first: %i)', async (first) => {
    const data = await student.client.ok(SESSIONS, { first });
    expect(data.sessions.edges.map((e) => e.node.id)).toEqual([own.sessionId]);
  });

  it.each([1, 180])('accepts focusMinutes %i', async (focusMinutes) => {
    const data = await student.client.ok(START_SESSION, {
      input: { subjectId: own.subjectId, type: 'POMODORO', focusMinutes },
    });
    expect(data.startSession.focusSeconds).toBe(focusMinutes * 60);
    await student.client.ok(STOP_SESSION, { id: data.startSession.id });
  });

  it('accepts the cursor the server itself issued', async () => {
    const all = await student.client.ok(SESSIONS, { first: 100 });
    const first = await student.client.ok(SESSIONS, { first: 1 });
    const next = await student.client.ok(SESSIONS, { first: 1, after: first.sessions.pageInfo.endCursor });
    expect(next.sessions.edges.map((e) => e.node.id)).toEqual([all.sessions.edges[1]!.node.id]);
  });
});
