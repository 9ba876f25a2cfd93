/**
 * The view's controls: due buckets (overdue / today / next 7 days / no date), status, priority,
 * tags, sort with direction, and an advanced box for the filter language whose errors — the
 * server's own INVALID_ARGUMENT words, with the column — appear right under it. Every control writes
 * to the URL through `onChange`, so the view can be bookmarked.
 */
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { createEffect, createSignal, For, type JSX, on, Show } from "solid-js";
import { PRIORITIES, type PriorityKey } from "../lib/format";
import {
  DUE_LABELS,
  type DueBucket,
  effectiveDir,
  effectiveSort,
  isFiltered,
  NATURAL_DIR,
  SORT_LABELS,
  type SortKey,
  type StatusFilter,
  type TaskView,
} from "../state/view";
import { FilterIcon, SortIcon } from "./Icons";

/** Props of {@link FilterBar}. */
export interface FilterBarProps {
  readonly view: TaskView;
  /** The tag catalogue, for the tag picker. */
  readonly tags: readonly Tag[];
  /** The server's complaint about the advanced filter, if any. */
  readonly filterError?: string | undefined;
  /** Applies a change to the view. */
  onChange(patch: Partial<TaskView>): void;
  onClear(): void;
}

const PRIORITY_CHOICES: { value: string; label: string }[] = [
  { value: "", label: "Any priority" },
  { value: "urgent", label: "Urgent" },
  { value: "urgent,high", label: "High and above" },
  ...PRIORITIES.filter((p) => p.key !== "urgent" && p.key !== "none").map((p) => ({
    value: p.key,
    label: p.label,
  })),
  { value: "none", label: "No priority" },
];

/** The filter bar. */
export function FilterBar(props: FilterBarProps): JSX.Element {
  const [advancedOpen, setAdvancedOpen] = createSignal(Boolean(props.view.filter));
  const [draft, setDraft] = createSignal(props.view.filter);
  createEffect(
    on(
      () => props.view.filter,
      (f) => {
        setDraft(f);
        if (f) setAdvancedOpen(true);
      },
    ),
  );

  const priorityValue = () => props.view.priorities.join(",");
  const priorityChoices = () => {
    const v = priorityValue();
    if (PRIORITY_CHOICES.some((c) => c.value === v)) return PRIORITY_CHOICES;
    const labels = props.view.priorities.map((p) => PRIORITIES.find((x) => x.key === p)?.label ?? p);
    return [...PRIORITY_CHOICES, { value: v, label: labels.join(" or ") }];
  };
  const sort = () => effectiveSort(props.view);
  const dir = () => effectiveDir(props.view);
  const sortChoices = (): SortKey[] => [
    ...(props.view.q.trim() ? (["relevance"] as const) : []),
    "priority",
    "due",
    "created",
    ...(props.view.status === "open" ? [] : (["completed"] as const)),
    "title",
  ];
  const availableTags = () => {
    const chosen = new Set(props.view.tags.map((t) => t.toLowerCase()));
    return props.tags.filter((t) => !chosen.has(t.name.toLowerCase()));
  };
  const applyAdvanced = () => props.onChange({ filter: draft().trim() });

  return (
    <div class="filter-bar">
      <fieldset class="segmented">
        <legend class="visually-hidden">Due date</legend>
        <button
          type="button"
          class="segmented__item"
          aria-pressed={props.view.due === undefined}
          onClick={() => props.onChange({ due: undefined })}
        >
          Any date
        </button>
        <For each={Object.keys(DUE_LABELS) as DueBucket[]}>
          {(bucket) => (
            <button
              type="button"
              class="segmented__item"
              classList={{ "segmented__item--overdue": bucket === "overdue" }}
              aria-pressed={props.view.due === bucket}
              onClick={() => props.onChange({ due: props.view.due === bucket ? undefined : bucket })}
            >
              {DUE_LABELS[bucket]}
            </button>
          )}
        </For>
      </fieldset>

      <div class="filter-row">
        <label class="select-field">
          <select
            aria-label="Status"
            value={props.view.status}
            onChange={(e) => props.onChange({ status: e.currentTarget.value as StatusFilter })}
          >
            <option value="open">Open</option>
            <option value="completed">Completed</option>
            <option value="all">All tasks</option>
          </select>
        </label>
        <label class="select-field">
          <select
            aria-label="Priority"
            value={priorityValue()}
            onChange={(e) =>
              props.onChange({
                priorities: e.currentTarget.value.split(",").filter(Boolean) as PriorityKey[],
              })
            }
          >
            <For each={priorityChoices()}>{(c) => <option value={c.value}>{c.label}</option>}</For>
          </select>
        </label>
        <label class="select-field">
          <select
            aria-label="Add a tag filter"
            value=""
            onChange={(e) => {
              const v = e.currentTarget.value;
              e.currentTarget.value = "";
              if (v) props.onChange({ tags: [...props.view.tags, v] });
            }}
          >
            <option value="">{availableTags().length ? "Tag…" : "No tags"}</option>
            <For each={availableTags()}>{(t) => <option value={t.name}>#{t.name}</option>}</For>
          </select>
        </label>
        <div class="sort-control">
          <label class="select-field">
            <select
              aria-label="Sort by"
              value={sort()}
              onChange={(e) => {
                const s = e.currentTarget.value as SortKey;
                props.onChange({ sort: s, dir: NATURAL_DIR[s] });
              }}
            >
              <For each={sortChoices()}>{(s) => <option value={s}>{SORT_LABELS[s]}</option>}</For>
            </select>
          </label>
          <button
            type="button"
            class="icon-button"
            disabled={sort() === "relevance"}
            aria-label={
              dir() === "desc" ? "Sorted descending; sort ascending" : "Sorted ascending; sort descending"
            }
            title={dir() === "desc" ? "Descending" : "Ascending"}
            onClick={() => props.onChange({ sort: sort(), dir: dir() === "desc" ? "asc" : "desc" })}
          >
            <SortIcon desc={dir() === "desc"} />
          </button>
        </div>
        <button
          type="button"
          class="button button--quiet"
          aria-expanded={advancedOpen()}
          aria-controls="advanced-filter"
          onClick={() => setAdvancedOpen(!advancedOpen())}
        >
          <FilterIcon size={14} /> Advanced
        </button>
        <Show when={isFiltered(props.view)}>
          <button type="button" class="button button--quiet" onClick={() => props.onClear()}>
            Clear filters
          </button>
        </Show>
      </div>

      <Show when={props.view.tags.length > 0}>
        <ul class="active-tags" aria-label="Tag filters">
          <For each={props.view.tags}>
            {(tag) => (
              <li>
                <span class="tag-chip tag-chip--active">
                  #{tag}
                  <button
                    type="button"
                    class="tag-chip__remove"
                    aria-label={`Remove tag filter ${tag}`}
                    onClick={() => props.onChange({ tags: props.view.tags.filter((t) => t !== tag) })}
                  >
                    ×
                  </button>
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>

      <Show when={advancedOpen()}>
        <form
          id="advanced-filter"
          class="advanced-filter"
          onSubmit={(e) => {
            e.preventDefault();
            applyAdvanced();
          }}
        >
          <label for="advanced-filter-input" class="advanced-filter__label">
            Filter expression
          </label>
          <div class="advanced-filter__row">
            <input
              id="advanced-filter-input"
              class="mono"
              classList={{ invalid: Boolean(props.filterError) }}
              type="text"
              spellcheck={false}
              autocomplete="off"
              placeholder="priority >= HIGH AND due_time < today+7d"
              aria-invalid={props.filterError ? "true" : "false"}
              aria-describedby={props.filterError ? "advanced-filter-error" : "advanced-filter-help"}
              value={draft()}
              onInput={(e) => setDraft(e.currentTarget.value)}
            />
            <button type="submit" class="button">
              Apply
            </button>
          </div>
          <Show
            when={props.filterError}
            fallback={
              <p id="advanced-filter-help" class="field-help">
                Fields: status, priority, tags, due_time, create_time, complete_time, title. E.g.{" "}
                <code>tags:work AND NOT tags:waiting</code>, <code>due_time &lt; today+7d</code>.
              </p>
            }
          >
            <p id="advanced-filter-error" class="field-error" role="alert">
              {props.filterError}
            </p>
          </Show>
        </form>
      </Show>
    </div>
  );
}
