/**
 * The search box ("Search tasks"): results as you type. Every keystroke searches at once, in its
 * own input event (text still being composed with an IME waits for the composition to end), and
 * the list cancels the request of the previous view, so a stale answer is never shown and the last
 * keystroke's answer comes as soon as the server can give it: waiting for typing to pause would
 * only add its delay to every search (and even a zero timeout lets a frame pass first). A
 * `debounce` can be set for slower back ends. Escape clears the text, then leaves the box.
 */
import { createEffect, type JSX, on, onCleanup, untrack } from "solid-js";
import { SearchIcon } from "./Icons";

/** Props of {@link SearchBox}. */
export interface SearchBoxProps {
  /** The text of the current view (from the URL). */
  readonly value: string;
  /** Called with the text once typing pauses. */
  onSearch(text: string): void;
  /** Wait this long after the last keystroke before searching. Default 0 (see above). */
  readonly debounce?: number;
  readonly ref?: (el: HTMLInputElement) => void;
}

/** The search input. */
export function SearchBox(props: SearchBoxProps): JSX.Element {
  let input!: HTMLInputElement;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sent = props.value;
  /** Texts searched whose echo (the URL's text coming back as `value`) has not come yet. */
  let echoes: string[] = [];

  const schedule = () => {
    clearTimeout(timer);
    timer = undefined;
    const wait = props.debounce ?? 0;
    if (wait > 0) timer = setTimeout(flush, wait);
    else flush();
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (input.value !== sent) {
      sent = input.value;
      echoes.push(sent);
      props.onSearch(sent);
    }
  };

  // The URL changed by other means (Clear filters, back button): show its text. The echo of one
  // of this box's own searches is left alone — the person may have typed on since.
  createEffect(
    on(
      () => props.value,
      (v) => {
        const echo = echoes.indexOf(v);
        if (echo >= 0) {
          echoes = echoes.slice(echo + 1);
          return;
        }
        echoes = [];
        sent = v;
        if (timer === undefined && v !== input.value) input.value = v;
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
        // Only the effect above writes the box (`value={props.value}` would overwrite what is typed).
        value={untrack(() => props.value)}
        onInput={(e) => {
          if (!e.isComposing) schedule();
        }}
        onCompositionEnd={schedule}
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
