// Tells the backend that a person is using the window, so the idle
// auto-lock counts key presses, pointer use, wheel scrolling and touches,
// not only commands: someone reading a screen is not idle.
//
// At most one report per interval (30 s): the first input after a quiet
// interval is reported at once; later input within the interval is reported
// once, when the interval ends, with how long ago the last input was, so the
// backend dates it exactly and the idle clock never runs ahead of the person.
// Nothing is reported without input: a window nobody touches still locks.

/** Least time between two reports. */
export const ACTIVITY_INTERVAL_MS = 30_000;

/** What counts as use of the window. */
export const INPUT_EVENTS = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;

export interface ActivityClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ActivityClock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ActivityThrottle {
  /** Records one input now. */
  input(): void;
  /** Stops: a pending report is dropped. */
  stop(): void;
}

/**
 * Throttles input to `report(agoMs)` calls, `agoMs` being how long before
 * the call the last input happened.
 */
export function throttleActivity(
  report: (agoMs: number) => void,
  intervalMs = ACTIVITY_INTERVAL_MS,
  clock: ActivityClock = realClock,
): ActivityThrottle {
  let lastReport = -Infinity;
  let lastInput = -Infinity;
  let pending: unknown = null;
  let stopped = false;

  function send(): void {
    pending = null;
    if (stopped) return;
    const now = clock.now();
    lastReport = now;
    report(Math.max(0, Math.round(now - lastInput)));
  }

  return {
    input() {
      if (stopped) return;
      const now = clock.now();
      lastInput = now;
      if (pending !== null) return;
      const wait = lastReport + intervalMs - now;
      if (wait <= 0) send();
      else pending = clock.setTimeout(send, wait);
    },
    stop() {
      stopped = true;
      if (pending !== null) clock.clearTimeout(pending);
      pending = null;
    },
  };
}

/**
 * Listens for real input on `target` (events a script made are ignored) and
 * reports it through `report`, throttled. Returns the function that stops.
 */
export function watchActivity(
  target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>,
  report: (agoMs: number) => void,
  intervalMs = ACTIVITY_INTERVAL_MS,
  clock: ActivityClock = realClock,
): () => void {
  const throttle = throttleActivity(report, intervalMs, clock);
  const onInput = (event: Event): void => {
    if (event.isTrusted) throttle.input();
  };
  const options = { capture: true, passive: true };
  for (const name of INPUT_EVENTS) target.addEventListener(name, onInput, options);
  return () => {
    throttle.stop();
    for (const name of INPUT_EVENTS) target.removeEventListener(name, onInput, options);
  };
}
