/**
 * Tags as removable chips plus a combobox that suggests the caller's tags from `TagService.ListTags`
 * (the app's shared tag catalogue when provided) as you type (prefix matches first). Enter adds the highlighted suggestion or, when nothing is
 * highlighted, the typed name — a new tag, which the server adds to the catalogue by itself.
 * `,` always adds exactly what was typed. Backspace in the empty field removes the last chip; Escape closes the suggestions only.
 */
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import {
  createMemo,
  createResource,
  createSignal,
  createUniqueId,
  For,
  type JSX,
  onMount,
  Show,
} from "solid-js";
import { useClient } from "../../api/transport";
import { useTagCatalog } from "../../state/tags";

/** Props of {@link TagInput}. */
export interface TagInputProps {
  value: readonly string[];
  onChange(tags: string[]): void;
  error?: string;
}

/** The most tags a task may carry (the API's limit). */
export const MAX_TAGS = 20;
const MAX_SUGGESTIONS = 8;

/** A tag name as typed, cleaned: trimmed, commas removed, at most 64 characters. */
export function cleanTagName(raw: string): string {
  return [...raw.replaceAll(",", " ").trim().replace(/\s+/g, " ")].slice(0, 64).join("");
}

/**
 * Suggestions for `query` among `catalogue`, leaving out tags already chosen: names starting with the
 * query first, then names containing it, each alphabetically.
 */
export function suggestTags(query: string, catalogue: readonly Tag[], chosen: readonly string[]): Tag[] {
  const q = query.trim().toLowerCase();
  const taken = new Set(chosen.map((t) => t.toLowerCase()));
  const free = catalogue.filter((t) => !taken.has(t.name.toLowerCase()));
  if (q === "") return free.slice(0, MAX_SUGGESTIONS);
  const starts = free.filter((t) => t.name.toLowerCase().startsWith(q));
  const contains = free.filter(
    (t) => !t.name.toLowerCase().startsWith(q) && t.name.toLowerCase().includes(q),
  );
  return [...starts, ...contains].slice(0, MAX_SUGGESTIONS);
}

/** Every tag of the caller (paged through; the catalogue is small). */
async function loadCatalogue(client: ReturnType<typeof useClient<typeof TagService>>): Promise<Tag[]> {
  const tags: Tag[] = [];
  let pageToken = "";
  for (let page = 0; page < 10; page++) {
    const res = await client.listTags({ pageSize: 1000, pageToken });
    tags.push(...res.tags);
    pageToken = res.nextPageToken;
    if (!pageToken) break;
  }
  return tags;
}

/** The tag chips and autocomplete field. */
export function TagInput(props: TagInputProps): JSX.Element {
  const client = useClient(TagService);
  const shared = useTagCatalog();
  const inputId = createUniqueId();
  const listId = createUniqueId();
  const errorId = createUniqueId();
  // The app's shared catalogue when there is one; otherwise (tests, other hosts) load it here.
  const [own] = createResource(
    () => !shared,
    () => loadCatalogue(client).catch(() => [] as Tag[]),
    { initialValue: [] },
  );
  const catalogue = (): readonly Tag[] => (shared ? shared.tags() : own());
  onMount(() => {
    if (shared && shared.tags().length === 0) void shared.refresh();
  });
  const [text, setText] = createSignal("");
  const [open, setOpen] = createSignal(false);
  const [active, setActive] = createSignal(-1);
  let input: HTMLInputElement | undefined;

  const colorOf = (name: string) =>
    catalogue().find((t) => t.name.toLowerCase() === name.toLowerCase())?.color ?? "";
  const suggestions = createMemo(() => suggestTags(text(), catalogue(), props.value));
  const typed = () => cleanTagName(text());
  const isNew = () =>
    typed() !== "" &&
    !catalogue().some((t) => t.name.toLowerCase() === typed().toLowerCase()) &&
    !props.value.some((t) => t.toLowerCase() === typed().toLowerCase());
  /** The options: suggestions, then "Create …" for a new name. */
  const options = createMemo(() => [
    ...suggestions().map((t) => ({ name: t.name, color: t.color, create: false })),
    ...(isNew() ? [{ name: typed(), color: "", create: true }] : []),
  ]);
  const optionId = (i: number) => `${listId}-${i}`;
  const full = () => props.value.length >= MAX_TAGS;

  const add = (name: string) => {
    const clean = cleanTagName(name);
    if (clean === "" || full()) return;
    if (!props.value.some((t) => t.toLowerCase() === clean.toLowerCase()))
      props.onChange([...props.value, clean]);
    setText("");
    setActive(-1);
  };
  const remove = (name: string) => {
    props.onChange(props.value.filter((t) => t !== name));
    input?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const n = options().length;
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        setOpen(true);
        if (n > 0) setActive((a) => (a + 1) % n);
        break;
      case "ArrowUp":
        e.preventDefault();
        if (n > 0) setActive((a) => (a <= 0 ? n - 1 : a - 1));
        break;
      case "Enter": {
        // The highlighted suggestion, else exactly what was typed.
        const pick = open() ? options()[active()] : undefined;
        if (pick || typed() !== "") {
          e.preventDefault();
          add(pick ? pick.name : typed());
        }
        break;
      }
      case ",":
        // A comma always ends the name as typed (tags cannot contain commas).
        e.preventDefault();
        add(typed());
        break;
      case "Backspace":
        if (text() === "" && props.value.length > 0) {
          e.preventDefault();
          props.onChange(props.value.slice(0, -1));
        }
        break;
      case "Escape":
        if (open()) {
          e.preventDefault();
          e.stopPropagation();
          setOpen(false);
          setActive(-1);
        }
        break;
    }
  };

  return (
    <div class="te-field te-combo">
      <label for={inputId}>Tags</label>
      <div class="te-tags" classList={{ "te-invalid": !!props.error }}>
        <ul class="te-tag-list" aria-label="Chosen tags">
          <For each={props.value}>
            {(tag) => (
              <li class="te-tag" style={{ "--tag-color": colorOf(tag) || undefined }}>
                <span class="te-tag-dot" aria-hidden="true" />
                <span>{tag}</span>
                <button
                  type="button"
                  class="te-tag-remove"
                  aria-label={`Remove tag ${tag}`}
                  onClick={() => remove(tag)}
                >
                  ×
                </button>
              </li>
            )}
          </For>
        </ul>
        <input
          id={inputId}
          ref={input}
          type="text"
          role="combobox"
          autocomplete="off"
          aria-autocomplete="list"
          aria-expanded={open() && options().length > 0}
          aria-controls={listId}
          aria-activedescendant={open() && active() >= 0 ? optionId(active()) : undefined}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={props.error ? errorId : undefined}
          placeholder={full() ? `At most ${MAX_TAGS} tags` : props.value.length ? "Add another" : "Add tags"}
          disabled={full()}
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setOpen(true);
            setActive(e.currentTarget.value.trim() ? 0 : -1);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => {
            if (typed() !== "") add(typed());
            setOpen(false);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
        />
      </div>
      <Show when={open() && options().length > 0}>
        <div id={listId} class="te-listbox" role="listbox" aria-label="Tag suggestions">
          <For each={options()}>
            {(opt, i) => (
              // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/useFocusableInteractive: an option of the combobox; the input keeps focus and handles the keys (aria-activedescendant)
              <div
                id={optionId(i())}
                role="option"
                aria-selected={i() === active()}
                classList={{ "te-option": true, "te-option-active": i() === active() }}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => {
                  add(opt.name);
                  input?.focus();
                }}
              >
                <span
                  class="te-tag-dot"
                  style={{ "--tag-color": opt.color || undefined }}
                  aria-hidden="true"
                />
                <span>{opt.create ? `Create “${opt.name}”` : opt.name}</span>
              </div>
            )}
          </For>
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
