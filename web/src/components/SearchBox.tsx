/**
 * The search box ("Search tasks"): results as you type. Keystrokes are debounced (60 ms by default)
 * before the view changes, and the list cancels the request of the previous view, so only the
 * latest text is ever searched. Escape clears the text, then leaves the box.
 */
import { createEffect, type JSX, on, onCleanup } from "solid-js";
import { SearchIcon } from "./Icons";

/** Props of {@link SearchBox}. */
export interface SearchBoxProps {
  /** The text of the current view (from the URL). */
  readonly value: string;
  /** Called with the text once typing pauses. */
  onSearch(text: string): void;
  /** Default 60 ms. */
  readonly debounce?: number;
  readonly ref?: (el: HTMLInputElement) => void;
}

/** The search input. */
export function SearchBox(props: SearchBoxProps): JSX.Element {
  let input!: HTMLInputElement;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sent = props.value;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (input.value !== sent) {
      sent = input.value;
      props.onSearch(sent);
    }
  };

  // The URL changed by other means (Clear filters, back button): show its text.
  createEffect(
    on(
      () => props.value,
      (v) => {
        if (timer === undefined && v !== input.value) input.value = v;
        sent = v;
      },
    ),
  );
  onCleanup(() => clearTimeout(timer));

  return (
    <search class="search-box">
      <label for="task-search" class="visually-hidden">
        Search tasks
      </label>
      <SearchIcon class="search-box__icon" />
      <input
        id="task-search"
        ref={(el) => {
          input = el;
          props.ref?.(el);
        }}
        type="search"
        placeholder="Search tasks"
        autocomplete="off"
        spellcheck={false}
        value={props.value}
        onInput={() => {
          clearTimeout(timer);
          timer = setTimeout(flush, props.debounce ?? 60);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") flush();
          if (e.key === "Escape") {
            if (input.value) {
              input.value = "";
              flush();
            } else input.blur();
            e.preventDefault();
          }
        }}
      />
      <span class="kbd-hint" aria-hidden="true">
        <kbd>/</kbd>
      </span>
    </search>
  );
}
