import { OperationWindow } from '../src/security/request-limits.js';

describe('OperationWindow (a socket’s operations per minute)', () => {
  it('counts the points of a window that starts at its first operation and lasts a minute', () => {
    const window = new OperationWindow();
    const start = Date.parse('2026-12-07T10:00:00.000Z');
    expect(window.consume(1, start)).toEqual({ consumedPoints: 1, msBeforeNext: 60_000 });
    expect(window.consume(2, start + 15_000)).toEqual({ consumedPoints: 3, msBeforeNext: 45_000 });
    // Refused operations count too, as the shared limiters count them.
    expect(window.consume(1, start + 59_999)).toEqual({ consumedPoints: 4, msBeforeNext: 1 });
  });

  it('starts a fresh window at the first operation after the last one ended, not on a fixed grid', () => {
    const window = new OperationWindow();
    const start = Date.parse('2026-12-07T10:00:00.000Z');
    window.consume(5, start);
    expect(window.consume(1, start + 60_000)).toEqual({ consumedPoints: 1, msBeforeNext: 60_000 });
    expect(window.consume(1, start + 200_000)).toEqual({ consumedPoints: 1, msBeforeNext: 60_000 });
    expect(window.consume(1, start + 230_000)).toEqual({ consumedPoints: 2, msBeforeNext: 30_000 });
  });
});
