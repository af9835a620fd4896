import { describe, expect, it } from 'vitest';
import { ACTIVITY_INTERVAL_MS, INPUT_EVENTS, throttleActivity, watchActivity, type ActivityClock } from '../src/lib/activity';

/** A clock the test moves by hand, with its timers. */
function fakeClock() {
  let now = 1000;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  const clock: ActivityClock = {
    now: () => now,
    setTimeout(run, ms) {
      const id = nextId++;
      timers.set(id, { at: now + ms, run });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  function advance(ms: number): void {
    const until = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].run();
    }
    now = until;
  }
  return { clock, advance, pending: () => timers.size };
}

describe('throttleActivity', () => {
  it('reports the first input at once and at most one report per interval', () => {
    const { clock, advance } = fakeClock();
    const reports: { at: number; agoMs: number }[] = [];
    const throttle = throttleActivity((agoMs) => reports.push({ at: clock.now(), agoMs }), ACTIVITY_INTERVAL_MS, clock);
    throttle.input();
    expect(reports).toEqual([{ at: 1000, agoMs: 0 }]);
    // Input every 100 ms for 60 s: reports at 0, 30 and 60 s, and one more
    // at 90 s for the input of the last instant.
    for (let i = 0; i < 600; i++) {
      advance(100);
      throttle.input();
    }
    advance(ACTIVITY_INTERVAL_MS);
    expect(reports.map((r) => r.at)).toEqual([1000, 31_000, 61_000, 91_000]);
    expect(reports[3].agoMs).toBe(30_000);
    for (let i = 1; i < reports.length; i++) {
      expect(reports[i].at - reports[i - 1].at).toBeGreaterThanOrEqual(ACTIVITY_INTERVAL_MS);
    }
  });

  it('reports input within the interval once, at its end, dated when it happened', () => {
    const { clock, advance } = fakeClock();
    const reports: { at: number; agoMs: number }[] = [];
    const throttle = throttleActivity((agoMs) => reports.push({ at: clock.now(), agoMs }), 30_000, clock);
    throttle.input(); // t = 1000: reported at once
    advance(5_000);
    throttle.input(); // t = 6000
    advance(7_000);
    throttle.input(); // t = 13000: the last input of the interval
    expect(reports).toHaveLength(1);
    advance(17_999);
    expect(reports).toHaveLength(1);
    advance(1);
    // At t = 31000 one report says the last input was 18 s earlier.
    expect(reports).toEqual([
      { at: 1000, agoMs: 0 },
      { at: 31_000, agoMs: 18_000 },
    ]);
  });

  it('reports nothing without input, however long the window stays open', () => {
    const { clock, advance, pending } = fakeClock();
    const reports: number[] = [];
    const throttle = throttleActivity((agoMs) => reports.push(agoMs), 30_000, clock);
    throttle.input();
    advance(60 * 60_000);
    expect(reports).toEqual([0]);
    expect(pending()).toBe(0);
    // The next input after a quiet spell is reported at once.
    throttle.input();
    expect(reports).toEqual([0, 0]);
  });

  it('drops a pending report when stopped (the vault locked)', () => {
    const { clock, advance, pending } = fakeClock();
    const reports: number[] = [];
    const throttle = throttleActivity((agoMs) => reports.push(agoMs), 30_000, clock);
    throttle.input();
    advance(1_000);
    throttle.input();
    expect(pending()).toBe(1);
    throttle.stop();
    expect(pending()).toBe(0);
    advance(60_000);
    throttle.input();
    expect(reports).toEqual([0]);
  });
});

describe('watchActivity', () => {
  it('listens for key, pointer, wheel and touch input until stopped', () => {
    const added: string[] = [];
    const removed: string[] = [];
    const target = {
      addEventListener: (name: string) => added.push(name),
      removeEventListener: (name: string) => removed.push(name),
    };
    const stop = watchActivity(target, () => {});
    expect(added).toEqual([...INPUT_EVENTS]);
    expect(added).toEqual(expect.arrayContaining(['keydown', 'pointerdown', 'wheel', 'touchstart']));
    stop();
    expect(removed).toEqual([...INPUT_EVENTS]);
  });

  it('ignores events made by a script', () => {
    const target = new EventTarget();
    const reports: number[] = [];
    const stop = watchActivity(target, (agoMs) => reports.push(agoMs));
    target.dispatchEvent(new Event('keydown'));
    target.dispatchEvent(new Event('pointerdown'));
    expect(reports).toEqual([]);
    stop();
  });

  it('reports trusted input through the throttle', () => {
    const { clock } = fakeClock();
    let listener: ((event: Event) => void) | null = null;
    const target = {
      addEventListener: (_name: string, fn: EventListenerOrEventListenerObject) => {
        listener = fn as (event: Event) => void;
      },
      removeEventListener: () => {},
    };
    const reports: number[] = [];
    watchActivity(target, (agoMs) => reports.push(agoMs), 30_000, clock);
    const trusted = { isTrusted: true } as Event;
    listener!(trusted);
    listener!(trusted);
    expect(reports).toEqual([0]);
  });
});
