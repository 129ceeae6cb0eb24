import { createRequire } from 'node:module';
import { once } from 'node:events';
import { type AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeTextFrame, sendTextFrame } from '../src/ws/text-frames.js';

// The frames studyclock writes itself (sendTextFrame) against `ws`'s own: the same bytes as its
// Sender, and in order with what `ws` sends on the same socket (its messages, pings, close).

/** `ws`'s Sender, which its types leave out: `frame` is what `send` writes, header and payload. */
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

function wsFrame(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
}

describe('encodeTextFrame', () => {
  // Either side of each header size (7-bit, 16-bit, 64-bit length), in bytes, and characters of
  // two and four bytes whose count is not their length.
  const texts = {
    empty: '',
    '125 bytes': 'x'.repeat(125),
    '126 bytes': 'x'.repeat(126),
    '65,535 bytes': 'x'.repeat(65_535),
    '65,536 bytes': 'x'.repeat(65_536),
    '70,001 bytes': 'x'.repeat(70_001),
    '63 two-byte characters (126 bytes)': 'é'.repeat(63),
    'four-byte characters': `{"note":"${'📚'.repeat(40)}"}`,
  };
  for (const [name, text] of Object.entries(texts)) {
    it(`writes the bytes ws's Sender writes for ${name}`, () => {
      expect(encodeTextFrame(text).equals(wsFrame(text))).toBe(true);
    });
  }
});

describe('sendTextFrame', () => {
  it('delivers its frames in order with the messages, pings and close that ws sends on the same socket', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await once(server, 'listening');
    const big = `{"data":"${'y'.repeat(70_000)}"}`;
    let internals: unknown;
    server.on('connection', (socket) => {
      // What sendTextFrame reads to write straight through; a ws upgrade that keeps it differently
      // shows here rather than as a silent fallback to ws's send.
      const { _socket: raw, _sender: sender } = socket as unknown as { _socket: unknown; _sender: { _state: unknown; _queue: unknown[] } };
      internals = { raw: raw instanceof Socket, state: sender._state, queued: sender._queue.length };
      socket.send('one');
      sendTextFrame(socket, 'two');
      socket.ping('three');
      sendTextFrame(socket, big);
      sendTextFrame(socket, 'fünf 📚');
      socket.close(1000, 'six');
      sendTextFrame(socket, 'after close');
    });
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const seen: string[] = [];
    client.on('message', (data, isBinary) => seen.push(`${isBinary ? 'binary' : 'text'} ${data.toString()}`));
    client.on('ping', (data) => seen.push(`ping ${data.toString()}`));
    const [code, reason] = (await once(client, 'close')) as [number, Buffer];
    server.close();
    expect(seen).toEqual(['text one', 'text two', 'ping three', `text ${big}`, 'text fünf 📚']);
    expect([code, reason.toString()]).toEqual([1000, 'six']);
    expect(internals).toEqual({ raw: true, state: 0, queued: 0 });
  });
});
