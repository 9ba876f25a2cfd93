/**
 * A searchable time-zone picker (WAI-ARIA combobox with a list box) over every zone the browser
 * knows (`Intl.supportedValuesOf("timeZone")`). Typing filters by any part of the name ("york",
 * "new york", "kolkata") or the offset ("+05:30"); arrows move, Enter picks, Escape closes the list
 * (without closing the dialog around it); leaving the field with a name that is not a zone puts the
 * previous zone back.
 */
import { createMemo, createSignal, createUniqueId, For, type JSX, Show } from "solid-js";
import { formatOffset, timeZones } from "./zoned-time";

/** Props of {@link TimeZoneSelect}. */
export interface TimeZoneSelectProps {
  value: string;
  onChange(zone: string): void;
  /** Shown under the field. */
  error?: string;
  /** Instant the offsets are shown for (the due time); defaults to now. */
  at?: number;
}

const MAX_SHOWN = 60;
const norm = (s: string) => s.toLowerCase().replaceAll("_", " ");

/** The zones matching `query`, best first: name starts, then a later word starts, then contains. */
export function matchZones(query: string, zones: readonly string[], at: number): string[] {
  const q = norm(query.trim());
  if (q === "") return [...zones];
  const scored: Array<[number, string]> = [];
  for (const z of zones) {
    const n = norm(z);
    const city = n.slice(n.lastIndexOf("/") + 1);
    let score = -1;
    if (city.startsWith(q) || n.startsWith(q)) score = 0;
    else if (n.split(/[/ ]/).some((w) => w.startsWith(q))) score = 1;
    else if (n.includes(q)) score = 2;
    else if (/^[+−-]?\d/.test(q) && formatOffset(z, at).replace("−", "-").includes(q.replace("−", "-")))
      score = 3;
    if (score >= 0) scored.push([score, z]);
  }
  return scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).map(([, z]) => z);
}

/** The time-zone combobox. */
export function TimeZoneSelect(props: TimeZoneSelectProps): JSX.Element {
  const inputId = createUniqueId();
  const listId = createUniqueId();
  const errorId = createUniqueId();
  const [query, setQuery] = createSignal<string | undefined>();
  const [open, setOpen] = createSignal(false);
  const [active, setActive] = createSignal(0);
  let list: HTMLDivElement | undefined;

  const matches = createMemo(() => matchZones(query() ?? "", timeZones(), props.at ?? Date.now()));
  const shown = createMemo(() => matches().slice(0, MAX_SHOWN));
  const optionId = (i: number) => `${listId}-${i}`;

  const choose = (zone: string) => {
    props.onChange(zone);
    setQuery(undefined);
    setOpen(false);
  };
  const commitTyped = () => {
    const q = query();
    if (q !== undefined) {
      const exact = timeZones().find((z) => norm(z) === norm(q.trim()));
      if (exact) props.onChange(exact);
    }
    setQuery(undefined);
    setOpen(false);
  };
  const moveTo = (i: number) => {
    const n = shown().length;
    if (n === 0) return;
    const next = (i + n) % n;
    setActive(next);
    (list?.children[next] as HTMLElement | undefined)?.scrollIntoView?.({ block: "nearest" });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        if (!open()) {
          setOpen(true);
          setActive(Math.max(0, shown().indexOf(props.value)));
        } else moveTo(active() + 1);
        break;
      case "ArrowUp":
        e.preventDefault();
        if (open()) moveTo(active() - 1);
        break;
      case "Enter": {
        if (!open()) return;
        e.preventDefault();
        const zone = shown()[active()];
        if (zone) choose(zone);
        break;
      }
      case "Escape":
        if (open() || query() !== undefined) {
          e.preventDefault();
          e.stopPropagation();
          setQuery(undefined);
          setOpen(false);
        }
        break;
    }
  };

  return (
    <div class="te-field te-combo">
      <label for={inputId}>Time zone</label>
      <input
        id={inputId}
        type="text"
        role="combobox"
        autocomplete="off"
        spellcheck={false}
        aria-autocomplete="list"
        aria-expanded={open()}
        aria-controls={listId}
        aria-activedescendant={open() && shown().length > 0 ? optionId(active()) : undefined}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? errorId : undefined}
        value={query() ?? props.value}
        onFocus={(e) => e.currentTarget.select()}
        onInput={(e) => {
          setQuery(e.currentTarget.value);
          setActive(0);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onBlur={commitTyped}
      />
      <Show when={open()}>
        <div id={listId} class="te-listbox" role="listbox" aria-label="Time zones" ref={list}>
          <For each={shown()} fallback={<div class="te-listbox-empty">No time zone matches.</div>}>
            {(zone, i) => (
              // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/useFocusableInteractive: an option of the combobox; the input keeps focus and handles the keys (aria-activedescendant)
              <div
                id={optionId(i())}
                role="option"
                aria-selected={i() === active()}
                classList={{ "te-option": true, "te-option-active": i() === active() }}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(zone)}
              >
                <span>{zone.replaceAll("_", " ")}</span>
                <span class="te-muted">{formatOffset(zone, props.at ?? Date.now())}</span>
              </div>
            )}
          </For>
          <Show when={matches().length > MAX_SHOWN}>
            <div class="te-listbox-empty" aria-hidden="true">
              {matches().length - MAX_SHOWN} more — keep typing to narrow the list.
            </div>
          </Show>
        </div>
      </Show>
      <Show when={props.error}>
        <p id={errorId} class="te-error">
          {props.error}
        </p>
      </Show>
    </div>
  );
}
