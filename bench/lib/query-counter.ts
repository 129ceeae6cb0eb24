import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Statements executed, by normalised SQL text. */
export type StatementCounts = Map<string, number>;

// PostgreSQL frontend protocol: the first message has no type byte (a startup packet, or an
// SSLRequest/GSSENCRequest that is answered with one byte and followed by another startup).
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Normalises SQL for counting: one line, and a list of placeholders (`$1, $2, … $19900`, as in
 * the last-seen heartbeat's `in (…)`) shown once, so that a statement is one key however many
 * students it names.
 */
function normalise(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\$\d+(?:, \$\d+)+/g, '$…')
    .trim()
    .slice(0, 1_000);
}

/**
 * A statement's gist for a one-line summary: its verb and first table (`select … from
 * "study_sessions"`, `update "users"`), or its first 60 characters.
 */
export function statementGist(sql: string): string {
  const verb = /^(select|insert into|update|delete from|with|begin|commit|rollback)\b/i.exec(sql)?.[1]?.toLowerCase();
  const table = /\b(?:from|into|update)\s+("?[\w.]+"?)/i.exec(sql)?.[1];
  if (verb && table) return verb === 'select' || verb === 'with' ? `${verb} … from ${table}` : `${verb} ${table}`;
  return verb ?? sql.slice(0, 60);
}

/**
 * A TCP proxy in front of PostgreSQL that counts the statements going through it, read from
 * the frontend protocol: each simple `Query` message, and each `Execute` of the extended
 * protocol (attributed to the text of the last `Parse` on that connection: node-pg, under
 * Kysely, parses an unnamed statement before every execution). Exact and immediate, unlike
 * `pg_stat_database`, which backends update lazily, and needs no `pg_stat_statements`.
 * Listens on 127.0.0.1 only.
 */
export class QueryCounter {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #counts: StatementCounts = new Map();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a proxy to `upstreamPort` on 127.0.0.1; resolves once it listens. */
  static async start(upstreamPort: number): Promise<QueryCounter> {
    const server = createServer();
    const counter = new QueryCounter(server);
    server.on('connection', (client) => counter.#relay(client, upstreamPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return counter;
  }

  /** The port the proxy listens on. */
  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('query counter is not listening');
    return address.port;
  }

  /** A copy of the counts so far (statement → executions). */
  snapshot(): StatementCounts {
    return new Map(this.#counts);
  }

  /** Stops listening and cuts every relayed connection. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #count(sql: string): void {
    const key = normalise(sql);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  #relay(client: Socket, upstreamPort: number): void {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => this.#sockets.delete(socket));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);
    const parse = this.#frontendParser();
    client.on('data', (chunk: Buffer) => {
      parse(chunk);
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    client.on('end', () => upstream.end());
  }

  /**
   * A parser of one connection's frontend byte stream. Only `Parse` and `Query` bodies are kept
   * (for their SQL); every other message, a large `Bind` included, is skipped without copying.
   */
  #frontendParser(): (chunk: Buffer) => void {
    let startup = true;
    let header = Buffer.alloc(0);
    let type = 0;
    let body: Buffer[] | undefined;
    let remaining = 0;
    let lastParsed = '';
    const finish = (content: Buffer) => {
      if (startup) {
        const code = content.length >= 4 ? content.readInt32BE(0) : 0;
        startup = code === SSL_REQUEST || code === GSSENC_REQUEST;
        return;
      }
      if (type === 0x51 /* Q */) this.#count(content.toString('utf8', 0, Math.max(0, content.indexOf(0))));
      else if (type === 0x50 /* P */) {
        const nameEnd = content.indexOf(0);
        lastParsed = content.toString('utf8', nameEnd + 1, content.indexOf(0, nameEnd + 1));
      }
    };
    return (chunk) => {
      let offset = 0;
      while (offset < chunk.length) {
        if (remaining === 0) {
          const headerLength = startup ? 4 : 5;
          const take = Math.min(headerLength - header.length, chunk.length - offset);
          header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
          offset += take;
          if (header.length < headerLength) return;
          type = startup ? 0 : header[0]!;
          remaining = header.readInt32BE(startup ? 0 : 1) - 4;
          header = Buffer.alloc(0);
          // Execute: counted from its header; its body (portal, row limit) is not needed.
          if (!startup && type === 0x45 /* E */) this.#count(lastParsed);
          body = startup || type === 0x51 || type === 0x50 ? [] : undefined;
          if (remaining === 0) finish(Buffer.alloc(0));
          continue;
        }
        const take = Math.min(remaining, chunk.length - offset);
        body?.push(chunk.subarray(offset, offset + take));
        offset += take;
        remaining -= take;
        if (remaining === 0 && body) finish(Buffer.concat(body));
      }
    };
  }
}

/** Executions per statement between two snapshots (only statements that ran). */
export function countsBetween(before: StatementCounts, after: StatementCounts): StatementCounts {
  const delta: StatementCounts = new Map();
  for (const [sql, n] of after) {
    const d = n - (before.get(sql) ?? 0);
    if (d > 0) delta.set(sql, d);
  }
  return delta;
}
