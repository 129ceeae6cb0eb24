import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/** Decides whether a hop's address is a trusted proxy (compiled from TRUST_PROXY). */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Compiles TRUST_PROXY: `false`/`true`, a hop count, or comma-separated addresses and subnets
 * (`loopback`, `uniquelocal`… as in Express). The same function feeds Express's `trust proxy`
 * and the WebSocket upgrade, so both transports agree on who the client is.
 */
export function compileTrustProxy(setting: string): TrustProxy {
  const value = setting.trim().toLowerCase();
  if (value === 'false' || value === '0') return () => false;
  if (value === 'true') return () => true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return proxyAddr.compile(value.split(',').map((s) => s.trim()).filter(Boolean));
}

/** The client's address: the socket's peer, or the forwarded one when the peer is a trusted proxy. */
export function clientAddress(request: IncomingMessage, trust: TrustProxy): string | undefined {
  if (!request.socket.remoteAddress) return undefined;
  return proxyAddr(request, trust);
}
