import { addressKey } from './request-limits.js';

/**
 * `Retry-After` of a refusal by a cap on open sockets: a place frees up when one of them closes,
 * which nothing predicts, so this is a hint for back-off rather than a promise.
 */
export const SOCKET_CAP_RETRY_AFTER_SECONDS = 10;

/** The caps on open sockets. */
export interface SocketCapSettings {
  /** WS_MAX_SOCKETS_PER_IP. */
  maxSocketsPerIp: number;
  /** WS_MAX_SOCKETS_PER_STUDENT. */
  maxSocketsPerStudent: number;
}

/**
 * Caps on open sockets, per client address and per student, counted on this instance (a socket
 * lives in one process, and a count shared in Redis would outlive a crashed instance). A place
 * is claimed and released by whoever opens and closes the socket.
 */
export class SocketCaps {
  readonly #byAddress = new Map<string, number>();
  readonly #byStudent = new Map<string, number>();

  constructor(readonly settings: SocketCapSettings) {}

  /** Open sockets of `ip` on this instance. */
  socketsOfAddress(ip: string | undefined): number {
    return this.#byAddress.get(addressKey(ip)) ?? 0;
  }

  /** Authenticated sockets of a student on this instance. */
  socketsOfStudent(userId: string): number {
    return this.#byStudent.get(userId) ?? 0;
  }

  /** Takes one of the address's places; returns its release (idempotent), or undefined when none is left. */
  claimAddressSocket(ip: string | undefined): (() => void) | undefined {
    return claim(this.#byAddress, addressKey(ip), this.settings.maxSocketsPerIp);
  }

  /** Takes one of the student's places; returns its release (idempotent), or undefined when none is left. */
  claimStudentSocket(userId: string): (() => void) | undefined {
    return claim(this.#byStudent, userId, this.settings.maxSocketsPerStudent);
  }
}

function claim(counts: Map<string, number>, key: string, max: number): (() => void) | undefined {
  const open = counts.get(key) ?? 0;
  if (open >= max) return undefined;
  counts.set(key, open + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (counts.get(key) ?? 1) - 1;
    if (left > 0) counts.set(key, left);
    else counts.delete(key);
  };
}
