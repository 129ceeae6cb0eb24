import fc from 'fast-check';
import { execute, parse } from 'graphql';
import { compilePayload, NOT_COMPILED } from '../src/graphql/compiled-payload.js';
import { buildSchema } from '../src/graphql/schema.js';

// The compiled payload must be what `execute` gives, byte for byte: the live timer sends it in
// place of executing. These tests compare the two on the real schema.
const schema = buildSchema();
const executed = (query: string, event: unknown, variables: Record<string, unknown> = { id: 'x' }) =>
  JSON.stringify(execute({ schema, document: parse(query), rootValue: event, variableValues: variables }));

const FIELDS = ['sessionId', 'status', 'elapsedSeconds', 'remainingSeconds', 'serverTime', '__typename'] as const;

const tick = (overrides: Record<string, unknown> = {}) => ({
  sessionId: '3f1c2b7e-8d4a-4c55-9e0f-6a7b8c9d0e1f',
  status: 'RUNNING',
  elapsedSeconds: 1499,
  remainingSeconds: 1,
  serverTime: new Date('2026-03-29T00:59:59.250Z'),
  // Not in the GraphQL type: never rendered.
  timer: { status: 'RUNNING' },
  version: 7,
  tick: true,
  ...overrides,
});

/** A selection of TimerUpdate fields: each an optional alias, some wrapped in inline fragments or a named fragment. */
const selection = fc.array(
  fc.record({
    field: fc.constantFrom(...FIELDS),
    alias: fc.option(fc.constantFrom('a', 'b', 'status', 'when'), { nil: undefined }),
    wrap: fc.constantFrom('none', 'inline', 'typed', 'fragment'),
  }),
  { minLength: 1, maxLength: 8 },
);

function documentOf(fields: { field: string; alias?: string; wrap: string }[], rootAlias?: string) {
  const fragments: string[] = [];
  const parts = fields.map(({ field, alias, wrap }, i) => {
    const text = alias ? `${alias}: ${field}` : field;
    if (wrap === 'inline') return `... { ${text} }`;
    if (wrap === 'typed') return `... on TimerUpdate { ${text} }`;
    if (wrap === 'fragment') {
      fragments.push(`fragment F${i} on TimerUpdate { ${text} }`);
      return `...F${i}`;
    }
    return text;
  });
  return `subscription S($id: ID!) { ${rootAlias ? `${rootAlias}: ` : ''}timerUpdated(sessionId: $id) { ${parts.join(' ')} } } ${fragments.join(' ')}`;
}

/** Whether graphql-js accepts the document (two fields under one response key must agree). */
const valid = (query: string) => !('errors' in execute({ schema, document: parse(query), rootValue: tick(), variableValues: { id: 'x' } }));

describe('compilePayload', () => {
  it('renders exactly what execute gives, for any selection of the timer\'s fields and any tick', () => {
    fc.assert(
      fc.property(
        selection,
        fc.option(fc.constantFrom('t', 'timer'), { nil: undefined }),
        fc.constantFrom('RUNNING', 'PAUSED', 'COMPLETED', 'STOPPED'),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.option(fc.integer({ min: 0, max: 3600 }), { nil: null }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        (fields, rootAlias, status, elapsedSeconds, remainingSeconds, serverTime) => {
          const query = documentOf(fields, rootAlias);
          fc.pre(valid(query));
          const compiled = compilePayload(schema, parse(query), 'S');
          expect(compiled).toBeDefined();
          const event = tick({ status, elapsedSeconds, remainingSeconds, serverTime });
          expect(compiled!(event)).toBe(executed(query, event));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same JSON to sessions ticking at one instant, and a fresh one at the next', () => {
    const query = 'subscription S($id: ID!) { timerUpdated(sessionId: $id) { sessionId serverTime } }';
    const compiled = compilePayload(schema, parse(query), 'S')!;
    const now = new Date('2026-12-07T10:00:00.000Z');
    const later = new Date('2026-12-07T10:00:01.000Z');
    for (const event of [tick({ serverTime: now }), tick({ sessionId: 'other', serverTime: now }), tick({ serverTime: later })]) {
      expect(compiled(event)).toBe(executed(query, event));
    }
  });

  it('answers NOT_COMPILED for a tick execute would answer with an error, so that it is executed', () => {
    const query = 'subscription S($id: ID!) { timerUpdated(sessionId: $id) { sessionId status elapsedSeconds serverTime } }';
    const compiled = compilePayload(schema, parse(query), 'S')!;
    for (const event of [
      tick({ status: 'NOT_A_STATUS' }),
      tick({ elapsedSeconds: null }),
      tick({ elapsedSeconds: 2 ** 40 }),
      tick({ serverTime: new Date(Number.NaN) }),
      null,
    ]) {
      expect(compiled(event)).toBe(NOT_COMPILED);
      expect(JSON.parse(executed(query, event)).errors).toHaveLength(1);
    }
    // graphql-js calls a function it finds where a value was expected: code the compiler leaves to it.
    expect(compiled(tick({ sessionId: () => 'from a function' }))).toBe(NOT_COMPILED);
  });

  it('compiles neither a document whose payload depends on variables nor fields with resolvers of their own', () => {
    for (const query of [
      'subscription S($id: ID!, $all: Boolean!) { timerUpdated(sessionId: $id) { sessionId status @include(if: $all) } }',
      'subscription S($id: ID!) { timerUpdated(sessionId: $id) @skip(if: false) { sessionId } }',
      'subscription S($id: ID!) { timerUpdated(sessionId: $id) { ...F @include(if: true) } } fragment F on TimerUpdate { sessionId }',
      // StudySession.nextBreak has a resolver of its own.
      'subscription S { activeSessionUpdated { serverTime session { id nextBreak { kind } } } }',
      'query S { me { id } }',
    ]) {
      expect(compilePayload(schema, parse(query), 'S')).toBeUndefined();
    }
  });

  it('compiles nested objects whose fields have no resolvers, null ones included', () => {
    const query = 'subscription S { activeSessionUpdated { __typename serverTime session { id status remainingSeconds subject { name } } } }';
    const compiled = compilePayload(schema, parse(query), 'S');
    expect(compiled).toBeDefined();
    const serverTime = new Date('2026-12-07T10:00:00.000Z');
    const session = { id: 'a', status: 'PAUSED', remainingSeconds: null, subject: { name: 'Maths' } };
    for (const event of [{ serverTime, session }, { serverTime, session: null }]) expect(compiled!(event)).toBe(executed(query, event, {}));
    // A null subject in a non-null field is graphql-js's error to report.
    expect(compiled!({ serverTime, session: { ...session, subject: null } })).toBe(NOT_COMPILED);
  });
});
