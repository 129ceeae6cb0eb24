import { loadConfig } from '../src/config.js';
import { createOperationLimits } from '../src/graphql/operation-limits.js';
import { buildSchema } from '../src/graphql/schema.js';
import { DocumentAdmission } from '../src/ws/graphql-ws-hooks.js';
import { testEnv } from './support/server.js';

// The socket side's document cache: one parsed, validated AST per distinct document text.

const admission = () => new DocumentAdmission(createOperationLimits(loadConfig(testEnv)), buildSchema());
const query = (n: number) => `query Q${n} { me { id } }`;

describe('DocumentAdmission', () => {
  it('hands every subscriber of the same document the same parsed document', () => {
    const documents = admission();
    const first = documents.admit({ query: query(1) });
    const second = documents.admit({ query: query(1) });
    expect('document' in first && 'document' in second && first.document === second.document).toBe(true);
  });

  it('refuses an invalid document every time it is sent, and never keeps it', () => {
    const documents = admission();
    for (let i = 0; i < 2; i++) {
      expect(documents.admit({ query: '{ nope }' })).toEqual([
        expect.objectContaining({ message: 'Cannot query field "nope" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
      ]);
    }
  });

  it('resolves the operation name on each admission, kept document or not', () => {
    const documents = admission();
    const text = `${query(1)} ${query(2)}`;
    expect('document' in documents.admit({ query: text, operationName: 'Q2' })).toBe(true);
    expect(documents.admit({ query: text, operationName: 'Q3' })).toEqual([
      expect.objectContaining({ message: 'Unknown operation named "Q3".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }),
    ]);
  });

  it('keeps the 500 most recently used documents, dropping the least recently used first', () => {
    const documents = admission();
    const doc = (n: number) => {
      const admitted = documents.admit({ query: query(n) });
      if (!('document' in admitted)) throw new Error('refused');
      return admitted.document;
    };
    const zero = doc(0);
    const one = doc(1);
    for (let n = 2; n < 500; n++) doc(n);
    expect(doc(0)).toBe(zero); // used again: now the most recent
    doc(500); // the 501st: drops the least recently used, Q1
    expect(doc(0)).toBe(zero);
    expect(doc(1)).not.toBe(one);
  });
});
