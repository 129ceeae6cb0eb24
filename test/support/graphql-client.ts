import type { TypedDocumentString } from '../__generated__/graphql.js';

/**
 * What the helpers send: a typed document from `graphql(...)` (its result and variables types
 * are inferred from it), or a plain string for operations no real client writes (malformed or
 * ad-hoc documents, whose result type a test may name itself).
 */
export type Operation<TResult, TVariables> = TypedDocumentString<TResult, TVariables> | string;

/**
 * Any document, typed or not, for helpers that send whatever they are given (raw protocol
 * messages, rows of deliberately ill-typed variables) as a plain string.
 */
export type AnyOperation = Operation<unknown, never>;

/**
 * The variables argument of an operation, then `rest`: optional when the operation has no
 * required variable (a plain string's are anything, and optional).
 */
export type VariablesAnd<TVariables, Rest extends unknown[] = []> = Record<string, never> extends TVariables
  ? [variables?: TVariables, ...rest: Rest]
  : [variables: TVariables, ...rest: Rest];

/** Per-request additions to what {@link GraphQLTestClient.request} sends. */
export interface RequestOptions {
  headers?: Record<string, string>;
}

/** One GraphQL error as the server sends it. */
export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** A GraphQL HTTP response: status, headers and parsed body. */
export interface GraphQLResponse<T> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors: GraphQLErrorBody[] | undefined;
}

/**
 * A minimal HTTP GraphQL client over `fetch`, holding a bearer token and cookies like a
 * browser would (cookies are replayed as given by Set-Cookie, ignoring attributes).
 */
export class GraphQLTestClient {
  token: string | undefined;
  readonly cookies = new Map<string, string>();

  constructor(readonly url: string) {}

  /** A copy of this client authenticated with `token`. */
  withToken(token: string | undefined): GraphQLTestClient {
    const c = new GraphQLTestClient(this.url);
    c.token = token;
    return c;
  }

  /** Posts an operation and returns the response whatever it holds (errors and non-200 statuses included). */
  async request<T = Record<string, any>, V = Record<string, unknown>>(
    query: Operation<T, V>,
    ...[variables, options = {}]: VariablesAnd<V, [options?: RequestOptions]>
  ): Promise<GraphQLResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ query: String(query), variables }) });
    for (const setCookie of res.headers.getSetCookie()) {
      const [pair] = setCookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = decodeURIComponent(pair!.slice(eq + 1));
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(setCookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const body = (await res.json()) as { data?: T | null; errors?: GraphQLErrorBody[] };
    return { status: res.status, headers: res.headers, data: body.data, errors: body.errors };
  }

  /** Runs an operation that must succeed, returning `data`; throws with the errors otherwise. */
  async ok<T = Record<string, any>, V = Record<string, unknown>>(
    query: Operation<T, V>,
    ...args: VariablesAnd<V, [options?: RequestOptions]>
  ): Promise<T> {
    const res = await this.request(query, ...args);
    if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data;
  }

  /** Runs an operation that must fail, returning its first error. */
  async fail<V = Record<string, unknown>>(query: Operation<unknown, V>, ...args: VariablesAnd<V>): Promise<GraphQLErrorBody> {
    const res = await this.request(query, ...args);
    const first = res.errors?.[0];
    if (!first) throw new Error(`expected an error, got ${JSON.stringify(res.data)}`);
    return first;
  }
}
