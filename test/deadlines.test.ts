import { Deadlines } from '../src/realtime/deadlines.js';
import { ManualClock } from './support/manual-clock.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Deadlines', () => {
  it('calls back each item once at its instant, earliest first, and never a deleted or moved one early', async () => {
    // When each was handed over, against its instant: a loaded machine may be late, never early.
    const fired: { item: string; atMs: number }[] = [];
    const deadlines = new Deadlines<string>({ now: () => new Date() }, (items) => fired.push(...items.map((item) => ({ item, atMs: Date.now() }))));
    const start = Date.now();
    const instants = { late: start + 300, early: start + 50, deleted: start + 100, moved: start + 200 };
    deadlines.set('late', instants.late);
    deadlines.set('early', instants.early);
    deadlines.set('deleted', instants.deleted);
    deadlines.set('moved', start + 25);
    deadlines.set('moved', instants.moved);
    deadlines.delete('deleted');
    for (const deadline = Date.now() + 5_000; fired.length < 3 && Date.now() < deadline; ) await sleep(10);
    await sleep(150);
    expect(fired.map((f) => f.item)).toEqual(['early', 'moved', 'late']);
    for (const { item, atMs } of fired) expect(atMs).toBeGreaterThanOrEqual(instants[item as keyof typeof instants]);
    expect(deadlines.size).toBe(0);
  });

  it('takes the timer firing as the instant it was armed for, whatever a manual clock says', async () => {
    const clock = new ManualClock({ start: '2026-12-07T10:00:00.000Z', running: false });
    const due: string[] = [];
    const deadlines = new Deadlines<string>(clock, (items) => due.push(...items), { dueWhenFired: true });
    deadlines.set('a', Date.parse('2026-12-07T10:00:00.020Z'));
    deadlines.set('b', Date.parse('2026-12-07T10:00:05.000Z'));
    for (const deadline = Date.now() + 5_000; due.length === 0 && Date.now() < deadline; ) await sleep(10);
    await sleep(50);
    expect(due).toEqual(['a']);
    deadlines.close();
  });
});
