import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/** How `ws` 8 keeps a socket's sending side (private: read defensively, see {@link sendTextFrame}). */
interface WsInternals {
  _socket?: Duplex;
  _sender?: { _state?: unknown; _queue?: { length: number } };
}

/** `ws`'s Sender state when it is writing frames straight through (not compressing, not reading a Blob). */
const SENDER_WRITING_THROUGH = 0;

/**
 * Sends `text` as one final, unmasked, uncompressed text frame, in a single
 * write of one buffer: header and payload built together. `ws`'s own `send` writes the header
 * and the payload as two chunks (cork, two writes, uncork: a `writev` with its array and
 * request per frame), which was a tenth of a tick's CPU for thousands of small frames a second.
 *
 * Frames stay in order with everything `ws` itself sends (pings, close) because `ws` writes
 * straight to the same TCP socket too, synchronously, while its Sender is in its default state;
 * when it is not (it never is here: permessage-deflate is off and no Blob is sent), or if a
 * later `ws` keeps these fields differently, this falls back to `ws`'s `send`, which queues
 * behind what it is doing. The bytes are what `ws`'s Sender would write (tested against it).
 * Nothing is sent on a socket that is not open: after a close frame, no frame may follow.
 */
export function sendTextFrame(socket: WebSocket, text: string): void {
  if (socket.readyState !== WebSocket.OPEN) return;
  const { _socket: raw, _sender: sender } = socket as unknown as WsInternals;
  if (raw && sender?._state === SENDER_WRITING_THROUGH && sender._queue?.length === 0) raw.write(encodeTextFrame(text));
  else socket.send(text, { binary: false, compress: false, fin: true });
}

/** The bytes of one final, unmasked text frame of `text` (RFC 6455 §5.2): server to client. */
export function encodeTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (headerLength === 2) {
    frame[1] = length;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, headerLength, 'utf8');
  return frame;
}
