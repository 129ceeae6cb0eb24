/**
 * Runs `each` over `items` in `lanes` lanes at once: each lane takes the next item once its
 * previous one is done, so at most `lanes` are in flight (handshakes, mutations). Resolves
 * when every item is done; `each` reports its own failures.
 */
export async function inLanes<T>(items: readonly T[], lanes: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
}
