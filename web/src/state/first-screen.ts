/**
 * Start-up order: what the first screen waits for goes first.
 *
 * A signed-in person opening the app waits for one thing, the task list's first page. The rest of
 * what the signed-in shell starts with — the tag catalogue, the notification bell (its list, its
 * stream, the browser's permission), checking the stored session against the server — is not
 * needed to show it. Started at the same moment, those calls queue ahead of ListTasks on a busy
 * server and their answers take the main thread while the rows should be rendering. So they wait
 * until the first screen has been painted ({@link FirstScreen.shown}), or at most `maxWait` ms.
 */
import { createContext, useContext } from "solid-js";

/** The gate; one per app. */
export interface FirstScreen {
  /** Runs `fn` once the first screen is on screen (soon, but not synchronously, if it already is). */
  after(fn: () => void): void;
  /** The first screen is in the DOM: run what waited, after the browser has painted it. */
  shown(): void;
  /** Whether {@link shown} was called (or the wait ran out). */
  isShown(): boolean;
}

/** Creates the gate. Nothing waits longer than `maxWait` ms after the gate's creation. */
export function createFirstScreen(maxWait = 2000): FirstScreen {
  let open = false;
  let queue: (() => void)[] = [];
  const flush = () => {
    clearTimeout(timer);
    const run = queue;
    queue = [];
    for (const fn of run) {
      try {
        fn();
      } catch (err) {
        // One failing start-up task must not keep the others from starting.
        console.error("a start-up task failed", err);
      }
    }
  };
  const release = () => {
    if (open) return;
    open = true;
    flush();
  };
  const timer = setTimeout(release, maxWait);
  return {
    after(fn) {
      queue.push(fn);
      if (open) setTimeout(flush, 0);
    },
    shown() {
      if (open) return;
      // After the frame that shows it: one animation frame, then a task once it has been painted.
      const raf = typeof requestAnimationFrame === "function" ? requestAnimationFrame : undefined;
      if (raf) raf(() => setTimeout(release, 0));
      else setTimeout(release, 0);
    },
    isShown: () => open,
  };
}

const FirstScreenContext = createContext<FirstScreen>();

/** Provides the gate. */
export const FirstScreenProvider = FirstScreenContext.Provider;

/** The gate, if provided (components and tests without one start everything at once). */
export function useFirstScreen(): FirstScreen | undefined {
  return useContext(FirstScreenContext);
}
