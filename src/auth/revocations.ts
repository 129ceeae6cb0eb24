/** Told when log-ins or accounts stop being valid, so that live connections can be closed. */
export interface RevocationListener {
  /** Every token of the log-in (refresh-token family) `familyId` has stopped working. */
  loginRevoked(familyId: string): void;
  /** Every token of the user `userId` has stopped working (account disabled). */
  userDisabled(userId: string): void;
  /** The user `userId` and every token of theirs are gone (account deleted). */
  userDeleted(userId: string): void;
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

  /** Tells this instance's listeners only: for revocations announced by another instance. */
  readonly local: RevocationListener = {
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
