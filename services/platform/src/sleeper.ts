/**
 * A sleep that can be cut short: the pause of every polling loop in Todo (the lease worker's rounds,
 * a notification watch's keep-alive). Waking is level-triggered — a `wake()` that arrives while
 * nobody sleeps is remembered, and the next sleep returns at once — so a loop that checks its work
 * and then sleeps cannot miss a wake that came in between. `reset()` forgets it again when the loop
 * starts a pass that will see whatever the wake announced.
 *
 * A wake can also carry a time (`wake(at)`): "something becomes due then". Sleeps end at the earliest
 * such hint instead of their full length, until the hint has passed (`reset()` drops past hints).
 */

/** How one sleep may end early. */
export interface SleepOptions {
  /** `wake()` and time hints end this sleep early; default true. `close()` always does. */
  readonly wakeable?: boolean;
}

/** One loop's pause (see the module comment). */
export interface Sleeper {
  /**
   * Waits `ms` (`Infinity`: until woken or closed). Resolves `true` when the whole time passed,
   * `false` when it ended early (a wake, a time hint, `close()`) or did not start (a remembered wake,
   * already closed). A new sleep ends the previous one (with `false`).
   */
  sleep(ms: number, options?: SleepOptions): Promise<boolean>;
  /**
   * Without `at` (or with a time already past): ends the current wakeable sleep, or the next one at
   * once. With a future `at`: wakeable sleeps end no later than `at`.
   */
  wake(at?: Date): void;
  /** Forgets a remembered wake and the time hints already past. */
  reset(): void;
  /** Ends the current sleep; every later one returns at once. */
  close(): void;
  readonly closed: boolean;
}

/** The longest delay `setTimeout` takes (a larger one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Current {
  readonly wakeable: boolean;
  /** When the sleep's own time is up. */
  readonly until: number;
  /** When its timer fires: `until`, or an earlier hint. */
  deadline: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(timedOut: boolean): void;
}

/** Creates a sleeper with nothing remembered. */
export function createSleeper(): Sleeper {
  let woken = false;
  let hintAt: number | undefined;
  let closed = false;
  let current: Current | undefined;

  const end = (timedOut: boolean) => {
    const c = current;
    if (!c) return;
    current = undefined;
    clearTimeout(c.timer);
    c.resolve(timedOut);
  };
  const arm = (c: Current, at: number) => {
    c.deadline = at;
    clearTimeout(c.timer);
    // No timer at all for "until woken" (setTimeout would take Infinity as 1 ms).
    c.timer = Number.isFinite(at)
      ? setTimeout(
          () => {
            if (current !== c) return;
            // Never early: a timer that fired before its time (clock granularity) waits the rest.
            if (Date.now() < c.deadline) arm(c, c.deadline);
            else end(c.deadline >= c.until);
          },
          Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())),
        )
      : undefined;
  };

  return {
    sleep(ms, options) {
      end(false);
      const wakeable = options?.wakeable ?? true;
      if (closed) return Promise.resolve(false);
      if (wakeable && woken) {
        woken = false;
        return Promise.resolve(false);
      }
      return new Promise<boolean>((resolve) => {
        const until = Date.now() + Math.max(0, ms);
        const c: Current = { wakeable, until, deadline: until, timer: undefined, resolve };
        current = c;
        arm(c, wakeable && hintAt !== undefined ? Math.min(until, hintAt) : until);
      });
    },

    wake(at) {
      const t = at?.getTime();
      if (t === undefined || Number.isNaN(t) || t <= Date.now()) {
        if (current?.wakeable) end(false);
        else woken = true;
        return;
      }
      if (hintAt === undefined || t < hintAt) hintAt = t;
      if (current?.wakeable && t < current.deadline) arm(current, t);
    },

    reset() {
      woken = false;
      if (hintAt !== undefined && hintAt <= Date.now()) hintAt = undefined;
    },

    close() {
      closed = true;
      end(false);
    },

    get closed() {
      return closed;
    },
  };
}
