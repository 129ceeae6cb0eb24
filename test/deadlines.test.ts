import { Deadlines } from '../src/realtime/deadlines.js';
import { ManualClock } from './support/manual-clock.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Deadlines', () => {
  it('calls back each item once at its instant, earliest first, and never a deleted or moved one early', async () => {
    const due: string[] = [];
    const deadlines = new Deadlines<string>({ now: () => new Date() }, (items) => due.push(...items));
    const at = (ms: number) => Date.now() + ms;
    deadlines.set('late', at(60));
    deadlines.set('early', at(10));
    deadlines.set('deleted', at(20));
    deadlines.set('moved', at(5));
    deadlines.set('moved', at(40));
    deadlines.delete('deleted');
    await sleep(30);
    expect(due).toEqual(['early']);
    await sleep(60);
    expect(due).toEqual(['early', 'moved', 'late']);
    expect(deadlines.size).toBe(0);
  });

  it('takes the timer firing as the instant it was armed for, whatever a manual clock says', async () => {
    const clock = new ManualClock({ start: '2026-12-07T10:00:00.000Z', running: false });
    const due: string[] = [];
    const deadlines = new Deadlines<string>(clock, (items) => due.push(...items), { dueWhenFired: true });
    deadlines.set('a', Date.parse('2026-12-07T10:00:00.020Z'));
    deadlines.set('b', Date.parse('2026-12-07T10:00:05.000Z'));
    await sleep(60);
    expect(due).toEqual(['a']);
    deadlines.close();
  });
});
