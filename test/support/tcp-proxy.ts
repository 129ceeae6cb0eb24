import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a server (PostgreSQL, Redis) that a test can cut, silence and
 * restore, to make an outage of that server for one client only. Both ends of a connection are
 * closed together, except while silent: a vanished network carries no FIN either.
 */
export class TcpProxy {
  readonly #server = net.createServer((app) => this.#accept(app));
  readonly #pipes = new Set<Pipe>();
  #mode: 'up' | 'reset' | 'silent' = 'up';
  #trigger: { matches: (text: string) => boolean; deliver: boolean; fired: () => void } | undefined;

  private constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on 127.0.0.1, port 0, forwarding to the server of `serverUrl` (postgres:// or redis://). */
  static async start(serverUrl: string): Promise<TcpProxy> {
    const url = new URL(serverUrl);
    const defaultPort = url.protocol.startsWith('redis') ? 6379 : 5432;
    const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || defaultPort) });
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    return proxy;
  }

  /** `serverUrl` reached through the proxy. */
  url(serverUrl: string): string {
    const url = new URL(serverUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.#server.address() as AddressInfo).port);
    return url.toString();
  }

  /** The server is down: every connection is reset, and so is each new one as it arrives. */
  cut(): void {
    this.#mode = 'reset';
    for (const pipe of this.#pipes) this.#drop(pipe);
  }

  /** The network goes silent: nothing passes either way and nothing closes, old connections and new. */
  silence(): void {
    this.#mode = 'silent';
    for (const pipe of this.#pipes) pipe.silenced = true;
  }

  /**
   * Silence from the first chunk the application sends whose text `matches`; that chunk is
   * dropped, or delivered first when `deliver`. Resolves when it happened.
   */
  silenceAt(matches: (text: string) => boolean, options: { deliver: boolean }): Promise<void> {
    return new Promise((fired) => (this.#trigger = { matches, deliver: options.deliver, fired }));
  }

  /** Back to normal; connections held silent are dropped (their peers gave up on them long ago). */
  restore(): void {
    this.#mode = 'up';
    this.#trigger = undefined;
    for (const pipe of this.#pipes) if (pipe.silenced) this.#drop(pipe);
  }

  async close(): Promise<void> {
    for (const pipe of this.#pipes) this.#drop(pipe);
    this.#server.close();
    await once(this.#server, 'close');
  }

  #accept(app: net.Socket): void {
    app.on('error', () => {});
    if (this.#mode === 'reset') return void app.resetAndDestroy();
    const db = net.connect(this.target.port, this.target.host);
    db.on('error', () => {});
    const pipe: Pipe = { app, db, silenced: this.#mode === 'silent' };
    this.#pipes.add(pipe);
    app.on('data', (chunk: Buffer) => this.#fromApp(pipe, chunk));
    db.on('data', (chunk: Buffer) => pipe.silenced || app.write(chunk));
    const closed = () => pipe.silenced || this.#drop(pipe);
    app.on('close', closed);
    db.on('close', closed);
  }

  #fromApp(pipe: Pipe, chunk: Buffer): void {
    if (pipe.silenced) return;
    const trigger = this.#trigger;
    if (trigger?.matches(chunk.toString('latin1'))) {
      if (trigger.deliver) pipe.db.write(chunk);
      this.#trigger = undefined;
      this.silence();
      trigger.fired();
      return;
    }
    pipe.db.write(chunk);
  }

  #drop(pipe: Pipe): void {
    this.#pipes.delete(pipe);
    if (!pipe.app.destroyed) pipe.app.resetAndDestroy();
    pipe.db.destroy();
  }
}

interface Pipe {
  app: net.Socket;
  db: net.Socket;
  silenced: boolean;
}
