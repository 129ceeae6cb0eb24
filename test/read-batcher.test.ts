import { setImmediate as nextTurn } from 'node:timers/promises';
import { MAX_BATCH_KEYS, ReadBatcher } from '../src/db/read-batcher.js';

// The batching itself, on a read that records what it was asked; the queries it stands for
// are tested on the real database in batched-reads.test.ts.

/** A batcher whose read answers each key with its double, recording every call's keys. */
function doubling(): { batcher: ReadBatcher<number, number>; calls: number[][] } {
  const calls: number[][] = [];
  const batcher = new ReadBatcher<number, number>(async (keys) => {
    calls.push([...keys]);
    return keys.map((k) => (k < 0 ? undefined : k * 2));
  });
  return { batcher, calls };
}

describe('ReadBatcher', () => {
  it('reads the keys loaded in one turn of the event loop with one call, answering each load with its own value', async () => {
    const { batcher, calls } = doubling();
    const answers = await Promise.all([batcher.load(3), batcher.load(1), batcher.load(-1), batcher.load(3)]);
    expect(answers).toEqual([6, 2, undefined, 6]);
    expect(calls).toEqual([[3, 1, -1, 3]]);
  });

  it('reads the keys of a later turn with a call of their own', async () => {
    const { batcher, calls } = doubling();
    const first = batcher.load(1);
    await nextTurn();
    const second = batcher.load(2);
    expect(await Promise.all([first, second])).toEqual([2, 4]);
    expect(calls).toEqual([[1], [2]]);
  });

  it(`splits a turn of more than ${MAX_BATCH_KEYS} keys into calls of at most ${MAX_BATCH_KEYS}, in order`, async () => {
    const { batcher, calls } = doubling();
    const keys = Array.from({ length: 2 * MAX_BATCH_KEYS + 7 }, (_, i) => i);
    expect(await Promise.all(keys.map((k) => batcher.load(k)))).toEqual(keys.map((k) => k * 2));
    expect(calls.map((c) => c.length)).toEqual([MAX_BATCH_KEYS, MAX_BATCH_KEYS, 7]);
    expect(calls.flat()).toEqual(keys);
  });

  it('rejects every load of a failed call with its error, and reads the next turn afresh', async () => {
    const failure = new Error('connection terminated');
    let fail = true;
    const batcher = new ReadBatcher<number, number>(async (keys) => {
      if (fail) throw failure;
      return keys.map((k) => k + 1);
    });
    const loads = [batcher.load(1), batcher.load(2)];
    for (const load of loads) await expect(load).rejects.toBe(failure);
    fail = false;
    expect(await batcher.load(5)).toBe(6);
  });
});
