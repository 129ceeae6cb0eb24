/**
 * What spreading ticks over the second costs by itself, with nothing of studyclock in it: a bare
 * `ws` server sends each of N sockets one frame a second, either all in one burst (the floor of
 * `bench:realtime`) or in `--slots` slots across the second (each socket on its own phase, as
 * studyclock's TICK_BATCH_MS=10 does with 100 slots). The server's CPU per frame (user + system,
 * /proc) is reported for both and as spread ÷ burst: the share of studyclock ÷ floor that no
 * server code can remove while ticks are phased. See bench/README.md ("What spreading costs").
 *
 *   npm run bench:spread -- --sizes=1000,10000 --slots=100 --window=10
 *
 * Everything is on 127.0.0.1; the children are killed when it ends or is interrupted.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { processCpuSeconds } from './lib/proc.js';

const SELF = fileURLToPath(import.meta.url);
/** Sends before the window opens: the sockets are open and the send path compiled. */
const WARMUP_MS = 3_000;

interface Options {
  sizes: number[];
  slots: number;
  windowMs: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { sizes: [1_000, 10_000], slots: 100, windowMs: 10_000 };
  for (const arg of argv) {
    const [flag, value = ''] = arg.replace(/^--/, '').split('=');
    const numbers = value.split(',').map(Number);
    if (!numbers.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--${flag}: positive integers`);
    if (flag === 'sizes') options.sizes = numbers;
    else if (flag === 'slots') options.slots = numbers[0]!;
    else if (flag === 'window') options.windowMs = numbers[0]! * 1000;
    else throw new Error(`unknown flag ${arg} (--sizes=1000,10000 --slots=100 --window=10)`);
  }
  return options;
}

/** The frame of socket `i`'s tick `k`: a `next` of studyclock's size, different for every socket, as studyclock's are. */
function frame(i: number, k: number): Buffer {
  const timerUpdated = { sessionId: `session-${i}`, status: 'RUNNING', elapsedSeconds: k, remainingSeconds: null, serverTime: new Date().toISOString() };
  return Buffer.from(JSON.stringify({ id: '1', type: 'next', payload: { data: { timerUpdated } } }));
}

/** The server child: sends every socket one frame a second, socket i in slot i mod `slots`. */
async function serve(slots: number): Promise<void> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  const sockets: WebSocket[] = [];
  wss.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const slotMs = 1000 / slots;
  const origin = Date.now();
  let turn = 0;
  const fire = (): void => {
    const slot = turn % slots;
    const second = Math.floor(turn / slots);
    for (let i = slot; i < sockets.length; i += slots) if (sockets[i]!.readyState === WebSocket.OPEN) sockets[i]!.send(frame(i, second));
    turn++;
    setTimeout(fire, Math.max(0, origin + turn * slotMs - Date.now()));
  };
  fire();
  process.send!({ port: (wss.address() as { port: number }).port });
}

/** The client child: opens `n` sockets and reads what comes. */
function load(port: number, n: number): void {
  let open = 0;
  for (let i = 0; i < n; i++) {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`, { localAddress: `127.2.${1 + (i >> 14)}.1`, perMessageDeflate: false });
    socket.on('open', () => ++open === n && process.send!('open'));
    socket.on('error', (err) => {
      process.stderr.write(`socket ${i}: ${err.message}\n`);
      process.exit(1);
    });
  }
}

const children = new Set<ChildProcess>();
function child(args: string[]): ChildProcess {
  const c = fork(SELF, args, { execArgv: ['--import', 'tsx'] });
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}
const message = <T>(c: ChildProcess): Promise<T> =>
  new Promise((resolve, reject) => {
    c.once('message', (m) => resolve(m as T));
    c.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });

/** CPU µs per frame the server spent sending `n` sockets a frame a second in `slots` slots. */
async function measure(n: number, slots: number, windowMs: number): Promise<number> {
  const server = child(['serve', String(slots)]);
  const { port } = await message<{ port: number }>(server);
  const client = child(['load', String(port), String(n)]);
  await message(client);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const before = processCpuSeconds(server.pid!);
  await new Promise((r) => setTimeout(r, windowMs));
  const after = processCpuSeconds(server.pid!);
  client.kill('SIGKILL');
  server.kill('SIGKILL');
  const frames = (n * windowMs) / 1000;
  return ((after.user + after.system - before.user - before.system) * 1e6) / frames;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const c of children) c.kill('SIGKILL');
      process.exit(130);
    });
  }
  const print = (...cells: string[]): boolean => process.stdout.write(`${cells.join(' ')}\n`);
  print(`bare ws, one frame a second per socket, window ${options.windowMs / 1000} s; server CPU µs per frame`);
  print('N'.padStart(7), 'burst'.padStart(8), `${options.slots} slots`.padStart(10), 'spread ÷ burst'.padStart(15));
  for (const n of options.sizes) {
    const burst = await measure(n, 1, options.windowMs);
    const spread = await measure(n, options.slots, options.windowMs);
    print(String(n).padStart(7), burst.toFixed(1).padStart(8), spread.toFixed(1).padStart(10), `×${(spread / burst).toFixed(2)}`.padStart(15));
  }
}

const [role, ...args] = process.argv.slice(2);
// A child ends with the orchestrator, however that ends.
if (role === 'serve' || role === 'load') process.once('disconnect', () => process.exit(0));
if (role === 'serve') void serve(Number(args[0]));
else if (role === 'load') load(Number(args[0]), Number(args[1]));
else
  main().catch((err: unknown) => {
    for (const c of children) c.kill('SIGKILL');
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
