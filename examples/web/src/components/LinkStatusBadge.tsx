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

  // Still "Live" for the blink of a reconnection (a token renewal): nothing the student lost.
  // One polite live region that stays in place while its text changes (most screen readers
  // do not announce a region inserted already filled): "Live" once connected, "Reconnecting…"
  // when down, "Live" again when back, and nothing for a token renewal's blink.
  const shown = down ? 'down' : status === 'live' || status === 'reconnecting' ? 'live' : undefined;
  return (
    <span className="badge-slot" aria-live="polite" aria-atomic="true">
      {shown && (
        <span className={`badge badge--${shown}`}>
          <span className="badge__dot" aria-hidden="true" />
          {shown === 'down' ? 'Reconnecting…' : 'Live'}
        </span>
      )}
    </span>
  );
}
