/** Upper bounds (seconds) of the delivery-lag buckets: loopback milliseconds to a reconcile period. */
export const LAG_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** A cumulative histogram as Prometheus exposes one: per bucket, the observations at or under it. */
export interface LagSnapshot {
  /** `[le, count]`, `le` in seconds, the last one `+Inf`. */
  buckets: [string, number][];
  sum: number;
  count: number;
}

/**
 * Cross-instance delivery lag: the time from a commit on one instance (its stream entry's
 * publish instant, on that instance's clock) to the change reaching the subscribers of this one.
 * Fixed buckets, so that recording costs no allocation.
 */
export class LagHistogram {
  readonly #counts = new Array<number>(LAG_BUCKETS_SECONDS.length + 1).fill(0);
  #sum = 0;
  #count = 0;

  /** Records one delivery `ms` after its commit (a negative value, clock skew, counts as 0). */
  observe(ms: number): void {
    const seconds = Math.max(0, ms) / 1000;
    let i = LAG_BUCKETS_SECONDS.findIndex((le) => seconds <= le);
    if (i === -1) i = LAG_BUCKETS_SECONDS.length;
    this.#counts[i]!++;
    this.#sum += seconds;
    this.#count++;
  }

  snapshot(): LagSnapshot {
    let cumulative = 0;
    const buckets: [string, number][] = this.#counts.map((n, i) => {
      cumulative += n;
      return [i < LAG_BUCKETS_SECONDS.length ? String(LAG_BUCKETS_SECONDS[i]) : '+Inf', cumulative];
    });
    return { buckets, sum: this.#sum, count: this.#count };
  }
}
