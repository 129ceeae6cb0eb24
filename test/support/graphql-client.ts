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

  async request<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options: { headers?: Record<string, string> } = {},
  ): Promise<GraphQLResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
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
  async ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await this.request<T>(query, variables);
    if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data;
  }

  /** Runs an operation that must fail, returning its first error. */
  async fail(query: string, variables?: Record<string, unknown>): Promise<GraphQLErrorBody> {
    const res = await this.request(query, variables);
    const first = res.errors?.[0];
    if (!first) throw new Error(`expected an error, got ${JSON.stringify(res.data)}`);
    return first;
  }
}
