/**
 * A coarse "now" for words that age ("tomorrow" becoming "today", overdue in red): one shared
 * timer, ticking at the start of each minute, instead of a timer per row.
 */
import { type Accessor, createRoot, createSignal } from "solid-js";

let shared: Accessor<Date> | undefined;

/** The current time, updated every minute (on the minute). */
export function useNow(): Accessor<Date> {
  shared ??= createRoot(() => {
    const [now, setNow] = createSignal(new Date());
    const tick = () => {
      setNow(new Date());
      setTimeout(tick, 60_000 - (Date.now() % 60_000) + 50);
    };
    setTimeout(tick, 60_000 - (Date.now() % 60_000) + 50);
    return now;
  });
  return shared;
}
