/**
 * The due date: quick choices (Today, Tomorrow, Next week, No date), a date field with a calendar
 * beside it, the time of day and the time zone. Everything is wall-clock time in the chosen zone
 * (the user's own zone by default), which is how the API's `due_time` + `time_zone` are meant.
 */
import { createSignal, createUniqueId, type JSX, Show } from "solid-js";
import { Calendar } from "./Calendar";
import { TimeZoneSelect } from "./TimeZoneSelect";
import { addDays, dateMs, todayIn, wallClockToInstant, weekdayOf } from "./zoned-time";

/** The due date's value: date (empty = none), time and zone. */
export interface DueValue {
  readonly date: string;
  readonly time: string;
  readonly timeZone: string;
}

/** Props of {@link DatePicker}. */
export interface DatePickerProps {
  value: DueValue;
  onChange(value: DueValue): void;
  /** Problem with the date or time, shown beside them. */
  error?: string;
  /** Problem with the zone. */
  zoneError?: string;
  /** The current time (tests pin it). */
  now?: () => number;
}

const longDate = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});

/** The due-date fieldset. */
export function DatePicker(props: DatePickerProps): JSX.Element {
  const dateId = createUniqueId();
  const timeId = createUniqueId();
  const calId = createUniqueId();
  const errorId = createUniqueId();
  const [calendarOpen, setCalendarOpen] = createSignal(false);
  const now = () => props.now?.() ?? Date.now();
  const today = () => todayIn(props.value.timeZone, now());
  const set = (patch: Partial<DueValue>) => props.onChange({ ...props.value, ...patch });
  const quick = (): Array<[string, string]> => {
    const t = today();
    const nextMonday = addDays(t, 7 - ((weekdayOf(t) + 6) % 7));
    return [
      ["Today", t],
      ["Tomorrow", addDays(t, 1)],
      ["Next week", nextMonday],
    ];
  };
  const dueInstant = () =>
    props.value.date
      ? wallClockToInstant(props.value.date, props.value.time, props.value.timeZone).getTime()
      : now();

  return (
    <fieldset class="te-fieldset te-due">
      <legend>Due date</legend>
      <div class="te-chips">
        {quick().map(([label, date]) => (
          <button
            type="button"
            class="te-chip"
            aria-pressed={props.value.date === date}
            onClick={() => set({ date })}
          >
            {label}
          </button>
        ))}
        <button
          type="button"
          class="te-chip"
          aria-pressed={props.value.date === ""}
          onClick={() => {
            set({ date: "" });
            setCalendarOpen(false);
          }}
        >
          No date
        </button>
      </div>
      <div class="te-row">
        <div class="te-field">
          <label for={dateId}>Date</label>
          <div class="te-inline">
            <input
              id={dateId}
              type="date"
              value={props.value.date}
              aria-invalid={props.error ? true : undefined}
              aria-describedby={props.error ? errorId : undefined}
              onChange={(e) => set({ date: e.currentTarget.value })}
            />
            <button
              type="button"
              class="te-icon-btn"
              aria-expanded={calendarOpen()}
              aria-controls={calId}
              aria-label={calendarOpen() ? "Hide calendar" : "Show calendar"}
              title={calendarOpen() ? "Hide calendar" : "Show calendar"}
              onClick={() => setCalendarOpen((o) => !o)}
            >
              <svg aria-hidden="true" viewBox="0 0 20 20" width="18" height="18">
                <rect
                  x="3"
                  y="4.5"
                  width="14"
                  height="12"
                  rx="2"
                  fill="none"
                  stroke="currentColor"
                  stroke-width="1.6"
                />
                <path d="M3 8.5h14M7 3v3M13 3v3" stroke="currentColor" stroke-width="1.6" />
              </svg>
            </button>
          </div>
        </div>
        <Show when={props.value.date !== ""}>
          <div class="te-field te-time">
            <label for={timeId}>Time</label>
            <input
              id={timeId}
              type="time"
              value={props.value.time}
              aria-invalid={props.error ? true : undefined}
              onChange={(e) => set({ time: e.currentTarget.value })}
            />
          </div>
          <TimeZoneSelect
            value={props.value.timeZone}
            onChange={(timeZone) => set({ timeZone })}
            error={props.zoneError}
            at={dueInstant()}
          />
        </Show>
      </div>
      <Show when={calendarOpen()}>
        <div id={calId}>
          <Calendar value={props.value.date} today={today()} onSelect={(date) => set({ date })} />
        </div>
      </Show>
      <Show when={props.value.date !== ""}>
        <p class="te-muted te-due-summary">
          Due {longDate.format(dateMs(props.value.date))} at {props.value.time} (
          {props.value.timeZone.replaceAll("_", " ")})
        </p>
      </Show>
      <Show when={props.error}>
        <p id={errorId} class="te-error">
          {props.error}
        </p>
      </Show>
    </fieldset>
  );
}
