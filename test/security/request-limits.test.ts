import { jest } from '@jest/globals';
import { getIntrospectionQuery, isInterfaceType, isObjectType, Lexer, Source, TokenKind } from 'graphql';
import type { Client } from 'graphql-ws';
import { PAGE_SIZES } from '../../src/graphql/cost-limit.js';
import { introspectionAllowed } from '../../src/graphql/operation-limits.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { snapshotDatabase } from '../support/database.js';
import { ME, PASSWORD, SESSIONS, SIGN_UP, signUpStudent, type Student, SUBJECTS } from '../support/fixtures.js';
import type { GraphQLErrorBody } from '../support/graphql-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { disposeSockets, openClient, wsUrl } from '../support/ws-client.js';

// What a document may be before any of it runs, over HTTP and over the WebSocket alike: depth,
// aliases, directives, tokens and estimated cost at their defaults (each refused one carries a
// mutation, and the database must not change); introspection and "Did you mean" suggestions on
// in development and off in production; batched HTTP requests; CSRF prevention with batching.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await disposeSockets();
  await t.close();
});

/** One GraphQL request as both transports carry it. */
interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** What came back: `status` is the HTTP status (undefined over the socket). */
interface Outcome {
  status?: number;
  data?: unknown;
  errors?: GraphQLErrorBody[];
}

/** POSTs one operation (or a batch) as JSON to `server`, as `student` when given. */
async function postJson(server: TestServer, body: unknown, student?: Student): Promise<{ status: number; body: any }> {
  const res = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(student && { authorization: `Bearer ${student.accessToken}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const overHttp = async (server: TestServer, student: Student, operation: Operation): Promise<Outcome> => {
  const { status, body } = await postJson(server, operation, student);
  return { status, ...(body as Omit<Outcome, 'status'>) };
};

/** One acknowledged socket per student and server, disposed after the file. */
const socketFor = new Map<string, Promise<Client>>();
function socket(server: TestServer, student: Student): Promise<Client> {
  const key = `${server.origin} ${student.userId}`;
  let client = socketFor.get(key);
  if (!client) {
    // Sockets of a server closed before the file ends are closed by it (1001): not an error here.
    const ws = openClient(wsUrl(server.origin), { connectionParams: { token: student.accessToken } });
    client = ws.connected.then(() => ws.client);
    socketFor.set(key, client);
  }
  return client;
}

const overSocket = async (server: TestServer, student: Student, operation: Operation): Promise<Outcome> => {
  const client = await socket(server, student);
  return new Promise((resolve, reject) => {
    let last: Outcome = {};
    client.subscribe(
      { query: operation.query, variables: operation.variables ?? {}, ...(operation.operationName && { operationName: operation.operationName }) },
      {
        next: (result) => (last = result as Outcome),
        // An `error` message carries the operation's errors; anything else is the socket failing.
        error: (err) => (Array.isArray(err) ? resolve({ errors: err as GraphQLErrorBody[] }) : reject(err)),
        complete: () => resolve(last),
      },
    );
  });
};

const transports = [
  { transport: 'HTTP', run: overHttp },
  { transport: 'WebSocket', run: overSocket },
];

/** `inner` wrapped in `levels` inline fragments on `type`: each one is a level of depth. */
const nested = (levels: number, type: string, inner: string) => `${`... on ${type} { `.repeat(levels)}${inner}${' }'.repeat(levels)}`;
const write = (name: string) => `createSubject(input: { name: "${name}" }) { id }`;
const SESSION_FIELDS = 'id type status elapsedSeconds focusSeconds remainingSeconds startedAt endedAt pausedReason subject { id name }';
/** Costs 24 × `first`: 2 + edges (2 + cursor 1 + node (2 + 9 + subject 4)) + pageInfo 4. */
const sessionsPage = (first?: string) =>
  `sessions${first ? `(first: ${first})` : ''} { edges { cursor node { ${SESSION_FIELDS} } } pageInfo { hasNextPage endCursor } }`;
/** Costs 2400. */
const hundredSessions = (alias: string) => `${alias}: ${sessionsPage('100')}`;
/** Lexical tokens in `query`, counted as the parser counts them. */
function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}
const aliases = (n: number, field: (i: number) => string) => Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ');
const withDirectives = (n: number) => Array.from({ length: n }, () => 'id @include(if: true)').join(' ');

/** Documents one past a default limit each, and otherwise valid: each would write subjects if it ran. */
const OVER_LIMIT = {
  // 9 fragment levels + createSubject + id = 11.
  depth: { query: `mutation { ${nested(9, 'Mutation', write('too deep'))} }` },
  aliases: { query: `mutation { ${aliases(16, (i) => write(`alias ${i}`))} }` },
  directives: { query: `mutation { createSubject(input: { name: "directives" }) @skip(if: false) { ${withDirectives(10)} } }` },
  // The costly query is not the operation that was asked for: the whole document is refused.
  cost: {
    query: `query Costly { ${hundredSessions('a')} ${hundredSessions('b')} ${hundredSessions('c')} } mutation Write { ${write('costly')} }`,
    operationName: 'Write',
  },
} satisfies Record<string, Operation>;

// The documents below are sized for these defaults (the README's).
it('runs with the documented default limits', () => {
  expect(t.config).toMatchObject({
    GRAPHQL_MAX_DEPTH: 10,
    GRAPHQL_MAX_ALIASES: 15,
    GRAPHQL_MAX_DIRECTIVES: 10,
    GRAPHQL_MAX_TOKENS: 1000,
    GRAPHQL_MAX_COST: 5000,
  });
});

describe.each(transports)('operation limits over $transport', ({ transport, run }) => {
  let student: Student;
  beforeAll(async () => {
    student = await signUpStudent(t.client());
  });

  /**
   * Runs `operation` and asserts it was refused with exactly `error` (plus `locations` for a
   * parse error), before any resolver ran: the subject service was never called and no row changed.
   */
  async function expectRefused(operation: Operation, error: GraphQLErrorBody & { locations?: unknown }): Promise<void> {
    const before = await snapshotDatabase(t.db.handle.db);
    const create = jest.spyOn(t.server.services.subjects, 'create');
    try {
      const outcome = await run(t, student, operation);
      expect(outcome.errors).toEqual([error]);
      expect(outcome.data).toBeUndefined();
      if (transport === 'HTTP') expect(outcome.status).toBe(400);
      expect(create).not.toHaveBeenCalled();
    } finally {
      create.mockRestore();
    }
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
  }

  async function expectRuns(operation: Operation): Promise<unknown> {
    const outcome = await run(t, student, operation);
    expect(outcome.errors).toBeUndefined();
    expect(outcome.data).toBeTruthy();
    return outcome.data;
  }

  describe('depth', () => {
    it('refuses a document deeper than GRAPHQL_MAX_DEPTH with GRAPHQL_VALIDATION_FAILED and runs none of it', async () => {
      await expectRefused(
        OVER_LIMIT.depth,
        { message: 'Query depth limit of 10 exceeded, found 11.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    });

    it('runs a document exactly GRAPHQL_MAX_DEPTH deep', async () => {
      expect(await expectRuns({ query: `query { ${nested(8, 'Query', 'me { id }')} }` })).toEqual({ me: { id: student.userId } });
    });
  });

  describe('aliases', () => {
    it('refuses more than GRAPHQL_MAX_ALIASES aliases with GRAPHQL_VALIDATION_FAILED and runs none of them', async () => {
      await expectRefused(
        OVER_LIMIT.aliases,
        { message: 'Aliases limit of 15 exceeded, found 16.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    });

    it('runs a document with exactly GRAPHQL_MAX_ALIASES aliases', async () => {
      const data = (await expectRuns({ query: `query { ${aliases(15, () => 'me { id }')} }` })) as Record<string, unknown>;
      expect(Object.keys(data)).toHaveLength(15);
    });
  });

  describe('directives', () => {
    it('refuses more than GRAPHQL_MAX_DIRECTIVES directives with GRAPHQL_VALIDATION_FAILED and runs none of it', async () => {
      await expectRefused(
        OVER_LIMIT.directives,
        { message: 'Directives limit of 10 exceeded, found 11.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    });

    it('runs a document with exactly GRAPHQL_MAX_DIRECTIVES directives', async () => {
      expect(await expectRuns({ query: `query { me { ${withDirectives(10)} } }` })).toEqual({ me: { id: student.userId } });
    });
  });

  describe('tokens', () => {
    it('refuses a document over GRAPHQL_MAX_TOKENS tokens with GRAPHQL_PARSE_FAILED and runs none of it', async () => {
      const query = `mutation { createSubject(input: { name: "tokens" }) { ${'id '.repeat(986)}} }`;
      expect(tokenCount(query)).toBe(1001);
      await expectRefused(
        { query },
        {
          // graphql-js's own message ("more that" in 16.x).
          message: expect.stringMatching(/^Syntax Error: Document contains more th(an|at) 1000 tokens\. Parsing aborted\.$/) as unknown as string,
          locations: [{ line: 1, column: query.length }], // the 1001st token: the last `}`
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        },
      );
    });

    // Many small operations: a thousand repeats of one field would trip graphql-js's own budget
    // for comparing overlapping fields instead.
    it('runs a document of exactly GRAPHQL_MAX_TOKENS tokens', async () => {
      const query = Array.from({ length: 125 }, (_, i) => `query Q${i} { me { id } }`).join('\n');
      expect(tokenCount(query)).toBe(1000);
      expect(await expectRuns({ query, operationName: 'Q124' })).toEqual({ me: { id: student.userId } });
    });
  });

  describe('cost', () => {
    it('refuses a document whose estimated cost is over GRAPHQL_MAX_COST, even the mutation operationName picks', async () => {
      await expectRefused(
        OVER_LIMIT.cost,
        { message: 'Query Cost limit of 5000 exceeded, found 7200.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    });

    it('runs a document under GRAPHQL_MAX_COST, literal first: 100 included', async () => {
      const data = await expectRuns({ query: `query { ${hundredSessions('a')} ${hundredSessions('b')} }` });
      expect(data).toEqual({ a: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } }, b: expect.anything() });
    });

    // A variable's value is not known when the document is validated (Apollo validates each
    // document once and caches the verdict), so the cost counts the most the field allows.
    it.each([
      ['the literal 100', {}, '100'],
      ['a variable of 100', { n: 100 }, '$n'],
      ['a variable of 1, counted as the most sessions allows', { n: 1 }, '$n'],
    ])('refuses sessions(first: …) fifteen times with %s: cost 36000', async (_case, variables, first) => {
      const pages = aliases(15, () => sessionsPage(first));
      await expectRefused(
        { query: `query Costly${first === '$n' ? '($n: Int)' : ''} { ${pages} } mutation Write { ${write('variables')} }`, variables, operationName: 'Write' },
        { message: 'Query Cost limit of 5000 exceeded, found 36000.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    });

    it('runs sessions(first: $n) twice with n = 100 (cost 4800)', async () => {
      const data = await expectRuns({ query: `query($n: Int) { a: ${sessionsPage('$n')} b: ${sessionsPage('$n')} }`, variables: { n: 100 } });
      expect(data).toEqual({ a: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } }, b: expect.anything() });
    });

    it('counts a sessions without first as its default page of 20', async () => {
      await expectRefused(
        { query: `query { ${aliases(11, () => sessionsPage())} }` },
        { message: 'Query Cost limit of 5000 exceeded, found 5280.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    });

    it('counts a variable first inside a fragment as the most sessions allows', async () => {
      await expectRefused(
        { query: `query($n: Int) { ...Pages } fragment Pages on Query { ${aliases(15, () => sessionsPage('$n'))} }`, variables: { n: 1 } },
        { message: 'Query Cost limit of 5000 exceeded, found 36000.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    });
  });

  it('refuses a document over several limits with one error per limit', async () => {
    const outcome = await run(t, student, { query: `mutation { ${nested(9, 'Mutation', aliases(16, (i) => write(`both ${i}`)))} }` });
    expect(outcome.errors?.map((e) => e.message)).toEqual([
      'Query depth limit of 10 exceeded, found 11.',
      'Aliases limit of 15 exceeded, found 16.',
    ]);
    expect(outcome.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
  });
});

// What makes the refusals above mean something: the documents are refused for their limit and
// nothing else.
describe('with every limit raised', () => {
  let roomy: TestServer;
  let student: Student;
  beforeAll(async () => {
    roomy = await startTestServer({
      env: { GRAPHQL_MAX_DEPTH: '100', GRAPHQL_MAX_ALIASES: '100', GRAPHQL_MAX_DIRECTIVES: '100', GRAPHQL_MAX_COST: '100000' },
    });
    student = await signUpStudent(roomy.client());
  });
  afterAll(() => roomy.close());

  it.each(Object.entries(OVER_LIMIT))('runs the document over the default %s limit, and it writes', async (_limit, operation) => {
    const before = (await snapshotDatabase(roomy.db.handle.db)).subjects.length;
    const outcome = await overHttp(roomy, student, operation);
    expect(outcome.errors).toBeUndefined();
    expect((await snapshotDatabase(roomy.db.handle.db)).subjects.length).toBeGreaterThan(before);
  });
});

// The cost model counts each paged field's page size: a new field taking `first` must be added.
it('knows the page size of every field that takes a first argument', () => {
  const paged = Object.values(buildSchema().getTypeMap())
    .filter((type) => isObjectType(type) || isInterfaceType(type))
    .flatMap((type) => Object.values(type.getFields()).filter((f) => f.args.some((a) => a.name === 'first')).map((f) => `${type.name}.${f.name}`));
  expect(paged).toEqual(['Query.sessions']);
  expect(Object.keys(PAGE_SIZES)).toEqual(paged);
  expect(PAGE_SIZES['Query.sessions']).toMatchObject({ max: 100, default: 20 });
});

// Fields of scalar types only: GraphQL's rule reports every field of an introspection type.
const INTROSPECTION = { query: '{ __schema { description } }' };
const TYPE_INTROSPECTION = { query: '{ __type(name: "User") { name } }' };
const MISSPELT_FIELD = { query: '{ me { emial } }' };
// A typed document with a variable its type forbids: sent as a plain string.
const MISSPELT_ENUM = { query: String(SESSIONS), variables: { status: 'RUNNIN' } };
const ENUM_MESSAGE = 'Variable "$status" got invalid value "RUNNIN"; Value "RUNNIN" does not exist in "SessionStatus" enum.';

describe('introspectionAllowed', () => {
  it.each([
    ['development', undefined, true],
    ['test', undefined, true],
    ['production', undefined, false],
    ['production', true, true],
    ['development', false, false],
  ] as const)('NODE_ENV=%s with GRAPHQL_INTROSPECTION=%s allows introspection: %s', (NODE_ENV, GRAPHQL_INTROSPECTION, allowed) => {
    expect(introspectionAllowed({ NODE_ENV, GRAPHQL_INTROSPECTION })).toBe(allowed);
  });
});

describe.each(transports)('introspection and suggestions over $transport', ({ run }) => {
  describe('in development', () => {
    let student: Student;
    beforeAll(async () => {
      student = await signUpStudent(t.client());
    });

    it('answers the full introspection query', async () => {
      const outcome = await run(t, student, { query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) });
      expect(outcome.errors).toBeUndefined();
      expect(outcome.data).toMatchObject({ __schema: { queryType: { name: 'Query' }, subscriptionType: { name: 'Subscription' } } });
    });

    it('suggests the field that was meant', async () => {
      const outcome = await run(t, student, MISSPELT_FIELD);
      expect(outcome.errors).toEqual([
        {
          message: 'Cannot query field "emial" on type "User". Did you mean "email"?',
          locations: [{ line: 1, column: 8 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ]);
    });

    it('suggests the enum value that was meant in a variable', async () => {
      const outcome = await run(t, student, MISSPELT_ENUM);
      expect(outcome.errors).toEqual([
        expect.objectContaining({ message: `${ENUM_MESSAGE} Did you mean the enum value "RUNNING"?`, extensions: { code: 'BAD_USER_INPUT' } }),
      ]);
    });
  });

  describe('with NODE_ENV=production', () => {
    let prod: TestServer;
    let student: Student;
    beforeAll(async () => {
      prod = await startTestServer({ env: { NODE_ENV: 'production' } });
      student = await signUpStudent(prod.client());
    });
    afterAll(() => prod.close());

    it.each([
      ['__schema', INTROSPECTION],
      ['__type', TYPE_INTROSPECTION],
    ])('refuses %s with GRAPHQL_VALIDATION_FAILED', async (field, operation) => {
      const outcome = await run(prod, student, operation);
      expect(outcome.errors).toEqual([
        {
          message: `GraphQL introspection has been disabled, but the requested query contained the field "${field}".`,
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ]);
      expect(outcome.data).toBeUndefined();
    });

    it('still answers __typename, which is not introspection', async () => {
      expect(await run(prod, student, { query: '{ __typename me { __typename } }' })).toMatchObject({
        data: { __typename: 'Query', me: { __typename: 'User' } },
      });
    });

    it('names no field that was meant', async () => {
      const outcome = await run(prod, student, MISSPELT_FIELD);
      expect(outcome.errors).toEqual([
        { message: 'Cannot query field "emial" on type "User".', locations: [{ line: 1, column: 8 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      ]);
    });

    it('names no enum value that was meant', async () => {
      const outcome = await run(prod, student, MISSPELT_ENUM);
      expect(outcome.errors).toEqual([expect.objectContaining({ message: ENUM_MESSAGE, extensions: { code: 'BAD_USER_INPUT' } })]);
    });
  });
});

describe('batched HTTP requests', () => {
  let student: Student;
  beforeAll(async () => {
    student = await signUpStudent(t.client());
  });

  it('are refused by default with 400 BAD_REQUEST, and none of their operations runs', async () => {
    const before = await snapshotDatabase(t.db.handle.db);
    const res = await postJson(t, [{ query: String(ME) }, { query: `mutation { ${write('batched')} }` }], student);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }] });
    expect(await snapshotDatabase(t.db.handle.db)).toEqual(before);
  });

  describe('with GRAPHQL_ALLOW_BATCHING=true', () => {
    let batching: TestServer;
    let batchStudent: Student;
    beforeAll(async () => {
      batching = await startTestServer({ env: { GRAPHQL_ALLOW_BATCHING: 'true' } });
      batchStudent = await signUpStudent(batching.client());
    });
    afterAll(() => batching.close());

    it('answers each operation of the batch in order', async () => {
      const res = await postJson(batching, [{ query: String(ME) }, { query: String(SUBJECTS) }], batchStudent);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([{ data: { me: { id: batchStudent.userId, email: batchStudent.email } } }, { data: { subjects: [] } }]);
    });

    it('holds each operation of the batch to the limits', async () => {
      const before = await snapshotDatabase(batching.db.handle.db);
      const res = await postJson(batching, [{ query: String(ME) }, { query: `mutation { ${aliases(16, (i) => write(`batched ${i}`))} }` }], batchStudent);
      expect(res.body).toEqual([
        { data: { me: { id: batchStudent.userId, email: batchStudent.email } } },
        { errors: [{ message: 'Aliases limit of 15 exceeded, found 16.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
      ]);
      expect(await snapshotDatabase(batching.db.handle.db)).toEqual(before);
    });

    it('still refuses a batch sent as a simple (CSRF-able) text/plain request, and runs none of it', async () => {
      const email = 'batched-csrf@example.com';
      const res = await fetch(batching.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify([{ query: String(SIGN_UP), variables: { input: { email, password: PASSWORD } } }]),
      });
      const body = (await res.json()) as { errors: GraphQLErrorBody[] };
      expect(res.status).toBe(400);
      expect(body.errors).toEqual([{ message: expect.stringContaining('CSRF'), extensions: { code: 'BAD_REQUEST' } }]);
      expect((await snapshotDatabase(batching.db.handle.db)).users.map((u) => u.email)).not.toContain(email);
    });
  });
});
