import { readFileSync } from 'node:fs';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { startTestServer, type TestServer } from './support/server.js';

// schema.graphql is what outside teams generate their clients from (README, "Typed clients"):
// it must be the schema the server actually serves, descriptions included, not only the SDL it
// was printed from.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

/** `schema` printed by graphql-js with its types in name order: the layout both sides share. */
const printed = (schema: Parameters<typeof lexicographicSortSchema>[0]) => printSchema(lexicographicSortSchema(schema));

describe('schema.graphql', () => {
  it('equals the schema the server serves, as introspection over HTTP prints it', async () => {
    const data = await t.client().ok<IntrospectionQuery>(
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }),
    );
    // Reprinted rather than compared byte for byte: codegen's printer writes a `schema { … }`
    // block that graphql-js leaves out for the default root type names.
    const file = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(printed(buildClientSchema(data))).toBe(printed(buildSchema(file)));
  });
});
