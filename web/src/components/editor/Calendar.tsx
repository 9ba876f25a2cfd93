/**
 * A month grid for picking a date, keyboard-driven like the WAI-ARIA date-picker grid: one tab stop
 * (the focused day), arrows move by day and week, Home/End to the week's ends, PageUp/PageDown by month
 * (with Shift by year), Enter or Space picks. Today is marked (`aria-current="date"`), the chosen day
 * is pressed (`aria-pressed`). The table is labelled by its month heading. Dates are `YYYY-MM-DD` strings; weeks start on Monday.
 */
import { createEffect, createMemo, createSignal, createUniqueId, For, type JSX, on } from "solid-js";
import { addDays, addMonths, dateMs, isDate, weekdayOf } from "./zoned-time";

/** Props of {@link Calendar}. */
export interface CalendarProps {
  /** The chosen date, or empty. */
  value: string;
  /** Today's date in the task's zone. */
  today: string;
  onSelect(date: string): void;
}

const monthTitle = new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
const dayLabel = new Intl.DateTimeFormat("en-GB", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});
const WEEK_HEAD = [
  ["Mo", "Monday"],
  ["Tu", "Tuesday"],
  ["We", "Wednesday"],
  ["Th", "Thursday"],
  ["Fr", "Friday"],
  ["Sa", "Saturday"],
  ["Su", "Sunday"],
] as const;

/** The 6 × 7 dates shown for the month of `date`, from the Monday on or before its 1st. */
export function monthGrid(date: string): string[][] {
  const first = `${date.slice(0, 8)}01`;
  const start = addDays(first, -((weekdayOf(first) + 6) % 7));
  return Array.from({ length: 6 }, (_, w) => Array.from({ length: 7 }, (_, d) => addDays(start, w * 7 + d)));
}

/** The month grid. See the module comment for the keys. */
export function Calendar(props: CalendarProps): JSX.Element {
  const titleId = createUniqueId();
  const [focused, setFocused] = createSignal(isDate(props.value) ? props.value : props.today);
  let grid: HTMLTableElement | undefined;
  let moveFocus = false;

  // Follow the value when it changes from outside (quick buttons, the date field).
  createEffect(
    on(
      () => props.value,
      (v) => {
        if (isDate(v)) setFocused(v);
      },
      { defer: true },
    ),
  );

  const weeks = createMemo(() => monthGrid(focused()));
  const month = () => focused().slice(0, 7);

  createEffect(
    on(focused, (f) => {
      if (!moveFocus) return;
      moveFocus = false;
      grid?.querySelector<HTMLButtonElement>(`button[data-date="${f}"]`)?.focus();
    }),
  );

  const go = (date: string, focus = true) => {
    moveFocus = focus;
    setFocused(date);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const f = focused();
    const dow = (weekdayOf(f) + 6) % 7;
    const moves: Record<string, () => string> = {
      ArrowLeft: () => addDays(f, -1),
      ArrowRight: () => addDays(f, 1),
      ArrowUp: () => addDays(f, -7),
      ArrowDown: () => addDays(f, 7),
      Home: () => addDays(f, -dow),
      End: () => addDays(f, 6 - dow),
      PageUp: () => addMonths(f, e.shiftKey ? -12 : -1),
      PageDown: () => addMonths(f, e.shiftKey ? 12 : 1),
    };
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    go(move());
  };

  return (
    <div class="te-cal">
      <div class="te-cal-head">
        <button
          type="button"
          class="te-icon-btn"
          aria-label="Previous month"
          onClick={() => go(addMonths(focused(), -1), false)}
        >
          ‹
        </button>
        <h3 id={titleId} class="te-cal-title" aria-live="polite">
          {monthTitle.format(dateMs(focused()))}
        </h3>
        <button
          type="button"
          class="te-icon-btn"
          aria-label="Next month"
          onClick={() => go(addMonths(focused(), 1), false)}
        >
          ›
        </button>
      </div>
      <table class="te-cal-grid" aria-labelledby={titleId} ref={grid} onKeyDown={onKeyDown}>
        <thead>
          <tr>
            <For each={WEEK_HEAD}>
              {([short, long]) => (
                <th scope="col" abbr={long}>
                  {short}
                </th>
              )}
            </For>
          </tr>
        </thead>
        <tbody>
          <For each={weeks()}>
            {(week) => (
              <tr>
                <For each={week}>
                  {(date) => (
                    <td>
                      <button
                        type="button"
                        data-date={date}
                        class="te-cal-day"
                        classList={{
                          "te-cal-out": date.slice(0, 7) !== month(),
                          "te-cal-today": date === props.today,
                          "te-cal-selected": date === props.value,
                        }}
                        tabIndex={date === focused() ? 0 : -1}
                        aria-label={dayLabel.format(dateMs(date)) + (date === props.today ? " (today)" : "")}
                        aria-current={date === props.today ? "date" : undefined}
                        aria-pressed={date === props.value}
                        onClick={() => {
                          setFocused(date);
                          props.onSelect(date);
                        }}
                      >
                        {Number(date.slice(8))}
                      </button>
                    </td>
                  )}
                </For>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
