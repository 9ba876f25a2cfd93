/**
 * The recurrence editor: a repeat choice (daily, every weekday, weekly on chosen days, monthly on a
 * day / an nth weekday / the last day, yearly, a custom interval, or an advanced RRULE), how the
 * series ends (never, after N times, on a date), what the next date counts from (the due date —
 * SCHEDULE — or the completion — COMPLETION), and a preview of the next five dates from
 * `SchedulerService.PreviewRecurrence`, fetched a moment after the last change; a rule the server
 * refuses shows its INVALID_ARGUMENT message instead.
 */
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import {
  createEffect,
  createSignal,
  createUniqueId,
  For,
  type JSX,
  Match,
  on,
  onCleanup,
  Show,
  Switch,
} from "solid-js";
import { errorMessage, isAbort } from "../../api/errors";
import { useClient } from "../../api/transport";
import {
  buildRrule,
  type MonthlyRule,
  type Nth,
  nthOfDate,
  type RecurrenceDraft,
  type RecurrenceEnd,
  type RepeatKind,
  type RepeatUnit,
  WEEKDAYS,
  type Weekday,
  withKind,
} from "./rrule-builder";
import { addMonths, dayOfMonth, isDate } from "./zoned-time";

/** Props of {@link RecurrenceEditor}. */
export interface RecurrenceEditorProps {
  value: RecurrenceDraft;
  onChange(value: RecurrenceDraft): void;
  /** The due date (`YYYY-MM-DD`, empty when none): the series' first date. */
  dueDate: string;
  /** The due instant (epoch ms), when there is a due date. */
  dueMs: number | undefined;
  timeZone: string;
  /** A problem found by the form or the server. */
  error?: string;
  /** Milliseconds to wait after the last change before previewing (tests set 0). */
  debounceMs?: number;
}

const KINDS: ReadonlyArray<[RepeatKind, string]> = [
  ["none", "Does not repeat"],
  ["daily", "Every day"],
  ["weekdays", "Every weekday (Mon–Fri)"],
  ["weekly", "Every week"],
  ["monthly", "Every month"],
  ["yearly", "Every year"],
  ["custom", "Custom interval…"],
  ["rrule", "Advanced (RRULE)…"],
];
const UNITS: ReadonlyArray<[RepeatUnit, string, string]> = [
  ["HOURLY", "hour", "hours"],
  ["DAILY", "day", "days"],
  ["WEEKLY", "week", "weeks"],
  ["MONTHLY", "month", "months"],
  ["YEARLY", "year", "years"],
];
const DAY_NAMES: Record<Weekday, string> = {
  MO: "Monday",
  TU: "Tuesday",
  WE: "Wednesday",
  TH: "Thursday",
  FR: "Friday",
  SA: "Saturday",
  SU: "Sunday",
};
const NTHS: ReadonlyArray<[Nth, string]> = [
  [1, "first"],
  [2, "second"],
  [3, "third"],
  [4, "fourth"],
  [5, "fifth"],
  [-1, "last"],
];

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${s}`;
}

const occurrenceFormats = new Map<string, Intl.DateTimeFormat>();
/** `Fri 8 Jan 2027, 09:00` in `zone`. */
function formatOccurrence(ms: number, zone: string): string {
  let f = occurrenceFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      weekday: "short",
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: zone,
    });
    occurrenceFormats.set(zone, f);
  }
  return f.format(ms);
}

/**
 * The series' first date when it is not the due date: the server (PreviewRecurrence, and CreateTask
 * or UpdateTask on save) starts a series at the rule's first date at or after the due date, and
 * moves the due date there.
 */
function movedFirst(dates: readonly number[], dueMs: number | undefined): number | undefined {
  const [first] = dates;
  return first !== undefined && dueMs !== undefined && first !== dueMs ? first : undefined;
}

type Preview =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "ok"; dates: number[] }
  | { state: "error"; message: string };

/** The recurrence fieldset. */
export function RecurrenceEditor(props: RecurrenceEditorProps): JSX.Element {
  const client = useClient(SchedulerService);
  const id = createUniqueId();
  const [preview, setPreview] = createSignal<Preview>({ state: "idle" });
  const d = () => props.value;
  const set = (patch: Partial<RecurrenceDraft>) => props.onChange({ ...d(), ...patch });
  const unit = (): RepeatUnit | undefined =>
    d().kind === "custom"
      ? d().unit
      : d().kind === "weekly"
        ? "WEEKLY"
        : d().kind === "monthly"
          ? "MONTHLY"
          : undefined;
  const rule = () => buildRrule(d());

  // The preview: a moment after the rule, the due time or the zone last changed.
  createEffect(
    on([rule, () => props.dueMs, () => props.timeZone], ([rrule, due, timeZone]) => {
      if (rrule === undefined || due === undefined || Number.isNaN(due)) {
        setPreview({ state: "idle" });
        return;
      }
      const ctrl = new AbortController();
      const timer = setTimeout(async () => {
        setPreview({ state: "loading" });
        try {
          const res = await client.previewRecurrence(
            { rrule, startTime: timestampFromMs(due), timeZone, count: 5 },
            { signal: ctrl.signal },
          );
          setPreview({ state: "ok", dates: res.occurrences.map((t) => timestampMs(t)) });
        } catch (err) {
          if (!isAbort(err) && !ctrl.signal.aborted)
            setPreview({ state: "error", message: errorMessage(err) });
        }
      }, props.debounceMs ?? 350);
      onCleanup(() => {
        clearTimeout(timer);
        ctrl.abort();
      });
    }),
  );

  const toggleDay = (day: Weekday) => {
    const days = d().weekdays.includes(day) ? d().weekdays.filter((x) => x !== day) : [...d().weekdays, day];
    set({ weekdays: days });
  };
  const setMonthly = (monthly: MonthlyRule) => set({ monthly });
  const nthDefault = () => {
    const n = props.dueDate ? nthOfDate(props.dueDate) : undefined;
    return {
      nth: (n?.isLast && n.nth >= 5 ? -1 : (n?.nth ?? 1)) as Nth,
      weekday: n?.weekday ?? ("MO" as Weekday),
    };
  };
  const setEnd = (end: RecurrenceEnd) => set({ end });
  const defaultUntil = () =>
    addMonths(isDate(props.dueDate) ? props.dueDate : new Date().toISOString().slice(0, 10), 3);

  return (
    <fieldset class="te-fieldset te-rec" aria-describedby={props.error ? `${id}-err` : undefined}>
      <legend>Repeat</legend>
      <div class="te-field">
        <label for={`${id}-kind`}>Repeats</label>
        <select
          id={`${id}-kind`}
          value={d().kind}
          onChange={(e) => props.onChange(withKind(d(), e.currentTarget.value as RepeatKind, props.dueDate))}
        >
          <For each={KINDS}>{([k, label]) => <option value={k}>{label}</option>}</For>
        </select>
      </div>

      <Show when={d().kind === "custom"}>
        <div class="te-inline te-wrap">
          <label for={`${id}-interval`}>Every</label>
          <input
            id={`${id}-interval`}
            class="te-num"
            type="number"
            min="1"
            max="1000"
            inputMode="numeric"
            value={d().interval}
            onInput={(e) => set({ interval: e.currentTarget.valueAsNumber })}
          />
          <select
            aria-label="Unit"
            value={d().unit}
            onChange={(e) => set({ unit: e.currentTarget.value as RepeatUnit })}
          >
            <For each={UNITS}>
              {([u, one, many]) => <option value={u}>{d().interval === 1 ? one : many}</option>}
            </For>
          </select>
        </div>
      </Show>

      <Show when={unit() === "WEEKLY"}>
        <fieldset class="te-fieldset te-plain">
          <legend>On</legend>
          <div class="te-days">
            <For each={WEEKDAYS}>
              {(day) => (
                <label class="te-day" title={DAY_NAMES[day]}>
                  <input
                    type="checkbox"
                    checked={d().weekdays.includes(day)}
                    onChange={() => toggleDay(day)}
                  />
                  <span aria-hidden="true">{DAY_NAMES[day].slice(0, 2)}</span>
                  <span class="te-sr">{DAY_NAMES[day]}</span>
                </label>
              )}
            </For>
          </div>
          <Show when={d().weekdays.length === 0}>
            <p class="te-muted">On the due date's weekday.</p>
          </Show>
        </fieldset>
      </Show>

      <Show when={unit() === "MONTHLY"}>
        <fieldset class="te-fieldset te-plain te-radios">
          <legend>On</legend>
          <label class="te-radio">
            <input
              type="radio"
              name={`${id}-monthly`}
              checked={d().monthly.mode === "due"}
              onChange={() => setMonthly({ mode: "due" })}
            />
            <span>
              the due date's day
              {isDate(props.dueDate) ? ` (the ${ordinal(dayOfMonth(props.dueDate))})` : ""}
            </span>
          </label>
          <div class="te-radio">
            <input
              type="radio"
              id={`${id}-m-day`}
              name={`${id}-monthly`}
              checked={d().monthly.mode === "day"}
              onChange={() =>
                setMonthly({ mode: "day", day: isDate(props.dueDate) ? dayOfMonth(props.dueDate) : 1 })
              }
            />
            <label for={`${id}-m-day`}>day</label>
            <input
              class="te-num"
              type="number"
              min="1"
              max="31"
              aria-label="Day of the month"
              value={(() => {
                const m = d().monthly;
                return m.mode === "day" ? m.day : isDate(props.dueDate) ? dayOfMonth(props.dueDate) : 1;
              })()}
              onInput={(e) => setMonthly({ mode: "day", day: e.currentTarget.valueAsNumber })}
            />
          </div>
          <div class="te-radio">
            <input
              type="radio"
              id={`${id}-m-nth`}
              name={`${id}-monthly`}
              checked={d().monthly.mode === "nth"}
              onChange={() => setMonthly({ mode: "nth", ...nthDefault() })}
            />
            <label for={`${id}-m-nth`}>the</label>
            <select
              aria-label="Which week"
              value={(() => {
                const m = d().monthly;
                return String(m.mode === "nth" ? m.nth : nthDefault().nth);
              })()}
              onChange={(e) => {
                const m = d().monthly;
                setMonthly({
                  mode: "nth",
                  nth: Number(e.currentTarget.value) as Nth,
                  weekday: m.mode === "nth" ? m.weekday : nthDefault().weekday,
                });
              }}
            >
              <For each={NTHS}>{([n, label]) => <option value={String(n)}>{label}</option>}</For>
            </select>
            <select
              aria-label="Weekday"
              value={(() => {
                const m = d().monthly;
                return m.mode === "nth" ? m.weekday : nthDefault().weekday;
              })()}
              onChange={(e) => {
                const m = d().monthly;
                setMonthly({
                  mode: "nth",
                  nth: m.mode === "nth" ? m.nth : nthDefault().nth,
                  weekday: e.currentTarget.value as Weekday,
                });
              }}
            >
              <For each={WEEKDAYS}>{(w) => <option value={w}>{DAY_NAMES[w]}</option>}</For>
            </select>
          </div>
          <label class="te-radio">
            <input
              type="radio"
              name={`${id}-monthly`}
              checked={d().monthly.mode === "last"}
              onChange={() => setMonthly({ mode: "last" })}
            />
            <span>the last day of the month</span>
          </label>
        </fieldset>
      </Show>

      <Show when={d().kind === "rrule"}>
        <div class="te-field">
          <label for={`${id}-rrule`}>Rule (RFC 5545 RRULE)</label>
          <input
            id={`${id}-rrule`}
            type="text"
            class="te-mono"
            spellcheck={false}
            autocomplete="off"
            placeholder="FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
            value={d().rrule}
            onInput={(e) => set({ rrule: e.currentTarget.value })}
          />
          <p class="te-muted">COUNT and UNTIL go in the rule itself.</p>
        </div>
      </Show>

      <Show when={d().kind !== "none"}>
        <Show when={d().kind !== "rrule"}>
          <fieldset class="te-fieldset te-plain te-radios te-across">
            <legend>Ends</legend>
            <label class="te-radio">
              <input
                type="radio"
                name={`${id}-end`}
                checked={d().end.kind === "never"}
                onChange={() => setEnd({ kind: "never" })}
              />
              <span>never</span>
            </label>
            <div class="te-radio">
              <input
                type="radio"
                id={`${id}-end-count`}
                name={`${id}-end`}
                checked={d().end.kind === "count"}
                onChange={() => setEnd({ kind: "count", count: 10 })}
              />
              <label for={`${id}-end-count`}>after</label>
              <input
                class="te-num"
                type="number"
                min="1"
                max="10000"
                aria-label="Number of times"
                value={(() => {
                  const e = d().end;
                  return e.kind === "count" ? e.count : 10;
                })()}
                onInput={(e) => setEnd({ kind: "count", count: e.currentTarget.valueAsNumber })}
              />
              <span>times</span>
            </div>
            <div class="te-radio">
              <input
                type="radio"
                id={`${id}-end-until`}
                name={`${id}-end`}
                checked={d().end.kind === "until"}
                onChange={() => setEnd({ kind: "until", date: defaultUntil() })}
              />
              <label for={`${id}-end-until`}>on</label>
              <input
                type="date"
                aria-label="End date"
                value={(() => {
                  const e = d().end;
                  return e.kind === "until" ? e.date : defaultUntil();
                })()}
                onChange={(e) => {
                  const end = d().end;
                  setEnd({
                    ...(end.kind === "until" ? end : {}),
                    kind: "until",
                    date: e.currentTarget.value,
                  });
                }}
              />
            </div>
          </fieldset>
        </Show>

        <fieldset class="te-fieldset te-plain te-radios te-across">
          <legend>Next date counts from</legend>
          <label class="te-radio">
            <input
              type="radio"
              name={`${id}-anchor`}
              checked={d().anchor === "SCHEDULE"}
              onChange={() => set({ anchor: "SCHEDULE" })}
            />
            <span>the due date</span>
          </label>
          <label class="te-radio">
            <input
              type="radio"
              name={`${id}-anchor`}
              checked={d().anchor === "COMPLETION"}
              onChange={() => set({ anchor: "COMPLETION" })}
            />
            <span>when I complete it</span>
          </label>
        </fieldset>

        <section class="te-preview" aria-live="polite" aria-labelledby={`${id}-preview`}>
          <h3 id={`${id}-preview`}>Next dates</h3>
          <Switch>
            <Match when={props.dueMs === undefined}>
              <p class="te-muted">Pick a due date: the series starts there.</p>
            </Match>
            <Match when={preview().state === "loading" || preview().state === "idle"}>
              <p class="te-muted">Working them out…</p>
            </Match>
            <Match when={preview().state === "error" && preview()}>
              {(p) => <p class="te-error">{(p() as { message: string }).message}</p>}
            </Match>
            <Match when={preview().state === "ok" && preview()}>
              {(p) => (
                <>
                  <ol class="te-dates">
                    <For
                      each={(p() as { dates: number[] }).dates}
                      fallback={<li>No more dates: the series has ended.</li>}
                    >
                      {(ms) => <li>{formatOccurrence(ms, props.timeZone)}</li>}
                    </For>
                  </ol>
                  <Show when={movedFirst((p() as { dates: number[] }).dates, props.dueMs)}>
                    {(first) => (
                      <p class="te-muted te-moved" role="note">
                        The due date is not one of the rule's dates: saving moves it to the first,{" "}
                        {formatOccurrence(first(), props.timeZone)}.
                      </p>
                    )}
                  </Show>
                </>
              )}
            </Match>
          </Switch>
          <Show when={d().anchor === "COMPLETION"}>
            <p class="te-muted">
              Counted from the due date here; each next date really counts from when you complete the task.
            </p>
          </Show>
        </section>
      </Show>

      <Show when={props.error}>
        <p id={`${id}-err`} class="te-error">
          {props.error}
        </p>
      </Show>
    </fieldset>
  );
}
