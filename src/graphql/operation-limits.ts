import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  parse,
  type ParseOptions,
  specifiedRules,
  validate,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../config.js';
import { costLimitRule } from './cost-limit.js';

/**
 * What every GraphQL operation is held to, over HTTP (Apollo) and WebSocket (graphql-ws) alike.
 * Both transports build it from the same configuration, so a document refused on one is refused
 * on the other with the same code and message, before any resolver runs:
 *
 * - more than `GRAPHQL_MAX_TOKENS` lexical tokens: `GRAPHQL_PARSE_FAILED` (parsing stops there,
 *   so a huge document costs no more than the limit);
 * - deeper than `GRAPHQL_MAX_DEPTH`, more than `GRAPHQL_MAX_ALIASES` aliases or
 *   `GRAPHQL_MAX_DIRECTIVES` directives, an estimated cost over `GRAPHQL_MAX_COST`:
 *   `GRAPHQL_VALIDATION_FAILED`;
 * - `__schema` or `__type` while introspection is off: `GRAPHQL_VALIDATION_FAILED` (GraphQL's
 *   own NoSchemaIntrospectionCustomRule on both transports, rather than Apollo's `introspection`
 *   option, whose rule and message exist on the HTTP side only).
 *
 * Limits apply to every operation in the document, not only the one `operationName` selects:
 * validation is of the whole document.
 */
export interface OperationLimits {
  /**
   * Whether `__schema`/`__type` may be queried and error messages keep GraphQL's "Did you mean …?"
   * suggestions (both reveal the schema). `GRAPHQL_INTROSPECTION`; unset: on unless NODE_ENV=production.
   */
  readonly introspection: boolean;
  /** Parse options with the token limit: Apollo's `parseOptions`. */
  readonly parseOptions: Readonly<ParseOptions>;
  /**
   * The depth, alias, directive and cost rules, and the no-introspection rule when introspection
   * is off, to run after GraphQL's own: Apollo's `validationRules`.
   */
  readonly validationRules: readonly ValidationRule[];
  /** Parses `source` within the token limit; throws GraphQL's syntax error (a `GraphQLError`) otherwise. */
  parse(source: string): DocumentNode;
  /** GraphQL's specified rules and {@link validationRules}: what Apollo runs, for the WebSocket side to run itself. */
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
}

/** Introspection (and field suggestions) are on unless configured off, or NODE_ENV=production and not configured on. */
export function introspectionAllowed(config: Pick<Config, 'GRAPHQL_INTROSPECTION' | 'NODE_ENV'>): boolean {
  return config.GRAPHQL_INTROSPECTION ?? config.NODE_ENV !== 'production';
}

/** Builds the limits from the configuration; see {@link OperationLimits}. */
export function createOperationLimits(
  config: Pick<
    Config,
    | 'GRAPHQL_MAX_DEPTH'
    | 'GRAPHQL_MAX_ALIASES'
    | 'GRAPHQL_MAX_DIRECTIVES'
    | 'GRAPHQL_MAX_TOKENS'
    | 'GRAPHQL_MAX_COST'
    | 'GRAPHQL_INTROSPECTION'
    | 'NODE_ENV'
  >,
): OperationLimits {
  // graphql-armor throws its error out of `validate` by default, which Apollo does not catch
  // (the request would fail as a 500). Reported instead, it is one validation error among
  // others, without the misleading "Syntax Error: " prefix armor gives it.
  const reject = {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        ),
    ],
  };
  const validationRules: ValidationRule[] = [
    maxDepthRule({ n: config.GRAPHQL_MAX_DEPTH, ...reject }),
    maxAliasesRule({ n: config.GRAPHQL_MAX_ALIASES, ...reject }),
    maxDirectivesRule({ n: config.GRAPHQL_MAX_DIRECTIVES, ...reject }),
    // Our own rather than graphql-armor's, which counts a `first` given in a variable once: see
    // cost-limit.ts for the model.
    costLimitRule(config.GRAPHQL_MAX_COST),
  ];
  const introspection = introspectionAllowed(config);
  if (!introspection) validationRules.push(NoSchemaIntrospectionCustomRule);
  // graphql-js counts tokens itself (the count graphql-armor-max-tokens makes with a lexer
  // proxy), and Apollo takes parse options but not a parse function: one option, both transports.
  const parseOptions: ParseOptions = Object.freeze({ maxTokens: config.GRAPHQL_MAX_TOKENS });
  const allRules = [...specifiedRules, ...validationRules];
  return Object.freeze({
    introspection,
    parseOptions,
    validationRules: Object.freeze(validationRules),
    parse: (source: string) => parse(source, parseOptions),
    validate: (schema: GraphQLSchema, document: DocumentNode) => validate(schema, document, allRules),
  });
}
