import { createContext, use, useEffect, useState, useSyncExternalStore } from 'react';
import type { LinkStatusStore } from '../apollo.js';

/** The WebSocket status store of the page's client. */
export const LinkStatusContext = createContext<LinkStatusStore | null>(null);

/** How long the socket may be down before the badge says so: a token renewal takes a blink. */
const RECONNECT_NOTICE_MS = 2000;

/** "Live" while the timer's socket is connected; "Reconnecting…" once it has been down for a while. */
export function LinkStatusBadge() {
  const store = use(LinkStatusContext);
  if (!store) throw new Error('LinkStatusBadge needs a LinkStatusContext');
  const status = useSyncExternalStore(store.subscribe, store.get);
  const [down, setDown] = useState(false);
  useEffect(() => {
    if (status !== 'reconnecting') {
      setDown(false);
      return undefined;
    }
    const timer = setTimeout(() => setDown(true), RECONNECT_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [status]);

  if (down) {
    return (
      <span className="badge badge--down" role="status">
        <span className="badge__dot" aria-hidden="true" />
        Reconnecting…
      </span>
    );
  }
  // Still "Live" for the blink of a reconnection (a token renewal): nothing the student lost.
  if (status === 'live' || status === 'reconnecting') {
    return (
      <span className="badge badge--live">
        <span className="badge__dot" aria-hidden="true" />
        Live
      </span>
    );
  }
  return null;
}
