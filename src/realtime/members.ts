/**
 * A group of distinct objects kept as the object itself while it has one member, and as a Set
 * from the second on: most groups here (a session's subscribers, the holders of its tick
 * registration) have one member, and a Set of one costs about 200 bytes. Members must not be
 * Sets themselves.
 */
export type Members<T extends object> = T | Set<T>;

/** `members` with `member` added (the same object twice is one member). */
export function addMember<T extends object>(members: Members<T> | undefined, member: T): Members<T> {
  if (members === undefined || members === member) return member;
  if (members instanceof Set) return members.add(member);
  return new Set([members, member]);
}

/** `members` without `member` (absent: unchanged); undefined once none is left. */
export function removeMember<T extends object>(members: Members<T>, member: T): Members<T> | undefined {
  if (members === member) return undefined;
  if (!(members instanceof Set)) return members;
  members.delete(member);
  if (members.size > 1) return members;
  return members.size === 1 ? members.values().next().value! : undefined;
}

export function hasMember<T extends object>(members: Members<T> | undefined, member: T): boolean {
  return members === member || (members instanceof Set && members.has(member));
}

export function memberCount<T extends object>(members: Members<T> | undefined): number {
  return members === undefined ? 0 : members instanceof Set ? members.size : 1;
}
