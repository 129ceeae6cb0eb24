/** Told when log-ins or accounts stop being valid, so that live connections can be closed. */
export interface RevocationListener {
  /** Every token of the log-in (refresh-token family) `familyId` has stopped working. */
  loginRevoked(familyId: string): void;
  /** Every token of the user `userId` has stopped working (account disabled). */
  userDisabled(userId: string): void;
  /** The user `userId` and every token of theirs are gone (account deleted). */
  userDeleted(userId: string): void;
  /** The log-ins and users this listener holds sockets of (what a revocation would close). */
  held?(): HeldLogins;
}

/** Log-ins (refresh-token families) and users with a live socket. */
export interface HeldLogins {
  familyIds: string[];
  userIds: string[];
}

/**
 * Where the services announce revocations and the transports hear of them: built with the
 * services and passed to their constructors; a transport subscribes when it starts and
 * unsubscribes when it stops. Listeners run synchronously, in subscription order; one that
 * throws does not keep the others from hearing. In a cluster, `relay` tells the other
 * instances, and what they announce arrives through {@link local}, which does not relay it back.
 */
export class Revocations implements RevocationListener {
  readonly #listeners = new Set<RevocationListener>();

  constructor(private readonly relay?: RevocationListener) {}

  /** Adds a listener; returns its removal. */
  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  loginRevoked(familyId: string): void {
    this.local.loginRevoked(familyId);
    this.relay?.loginRevoked(familyId);
  }

  userDisabled(userId: string): void {
    this.local.userDisabled(userId);
    this.relay?.userDisabled(userId);
  }

  userDeleted(userId: string): void {
    this.local.userDeleted(userId);
    this.relay?.userDeleted(userId);
  }

  /** Every log-in and user the listeners hold sockets of: what the cluster's reconcile re-checks. */
  held(): HeldLogins {
    const familyIds = new Set<string>();
    const userIds = new Set<string>();
    for (const listener of this.#listeners) {
      const held = listener.held?.();
      held?.familyIds.forEach((id) => familyIds.add(id));
      held?.userIds.forEach((id) => userIds.add(id));
    }
    return { familyIds: [...familyIds], userIds: [...userIds] };
  }

  /** Tells this instance's listeners only: for revocations announced by another instance. */
  readonly local: RevocationListener & { held(): HeldLogins } = {
    held: () => this.held(),
    loginRevoked: (familyId) => {
      for (const listener of this.#listeners) listener.loginRevoked(familyId);
    },
    userDisabled: (userId) => {
      for (const listener of this.#listeners) listener.userDisabled(userId);
    },
    userDeleted: (userId) => {
      for (const listener of this.#listeners) listener.userDeleted(userId);
    },
  };
}
