/**
 * The Tags page: every tag of the caller with its colour and how many open tasks carry it; create a
 * tag, rename it inline (Enter saves, Escape cancels), recolour it (a palette or any custom colour),
 * delete it after a confirmation (it is removed from every task). Changes show at once and roll back
 * with a readable message when the server refuses them (a name in use is ALREADY_EXISTS). The app's
 * shared tag catalogue is refreshed after each change, so chips everywhere follow.
 */
import { Code } from "@connectrpc/connect";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { createSignal, createUniqueId, For, type JSX, onMount, Show } from "solid-js";
import { codeOf, errorMessage, fieldViolations } from "../api/errors";
import { useClient } from "../api/transport";
import { useTagCatalog } from "../state/tags";
import "../components/editor/editor.css";

/** The colours offered for tags (any other comes from the custom colour input). */
export const TAG_PALETTE = [
  "#ef4444",
  "#f97316",
  "#f59e0b",
  "#84cc16",
  "#22c55e",
  "#14b8a6",
  "#06b6d4",
  "#3b82f6",
  "#6366f1",
  "#8b5cf6",
  "#d946ef",
  "#ec4899",
  "#64748b",
] as const;

/** A sentence for a failed tag call; `name` is the name that was tried. */
export function tagErrorText(err: unknown, name: string): string {
  if (codeOf(err) === Code.AlreadyExists) return `A tag named “${name}” already exists. Pick another name.`;
  const v = fieldViolations(err)[0];
  if (v) {
    const what = v.field.endsWith("color") ? "Colour" : "Name";
    return `${what}: ${v.description}.`;
  }
  return errorMessage(err);
}

function byName(a: Tag, b: Tag): number {
  return a.name.localeCompare(b.name, undefined, { sensitivity: "base" });
}

function countText(n: number): string {
  return n === 1 ? "1 open task" : `${n} open tasks`;
}

/** The Tags page. */
export function TagsPage(): JSX.Element {
  const client = useClient(TagService);
  const catalog = useTagCatalog();
  const newId = createUniqueId();
  const [tags, setTags] = createSignal<Tag[]>([]);
  const [loading, setLoading] = createSignal(true);
  const [loadError, setLoadError] = createSignal<string>();
  const [newName, setNewName] = createSignal("");
  const [createError, setCreateError] = createSignal<string>();
  const [creating, setCreating] = createSignal(false);
  const [rowErrors, setRowErrors] = createSignal<Record<string, string>>({});
  const [editing, setEditing] = createSignal<string>();
  const [recolouring, setRecolouring] = createSignal<string>();
  const [confirming, setConfirming] = createSignal<string>();
  const [status, setStatus] = createSignal("");

  const setRowError = (id: string, text: string | undefined) => {
    const next = { ...rowErrors() };
    if (text) next[id] = text;
    else delete next[id];
    setRowErrors(next);
  };
  const replaceTag = (tag: Tag) =>
    setTags((list) => list.map((t) => (t.id === tag.id ? tag : t)).sort(byName));
  const changed = () => void catalog?.refresh();

  const load = async () => {
    setLoading(true);
    setLoadError(undefined);
    try {
      const out: Tag[] = [];
      let pageToken = "";
      for (let page = 0; page < 20; page++) {
        const res = await client.listTags({ pageSize: 500, pageToken });
        out.push(...res.tags);
        pageToken = res.nextPageToken;
        if (!pageToken) break;
      }
      setTags(out.sort(byName));
    } catch (err) {
      setLoadError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  };
  onMount(() => void load());

  const create = async (e: Event) => {
    e.preventDefault();
    const name = newName().trim();
    if (name === "") {
      setCreateError("Type a name for the tag.");
      return;
    }
    if (name.includes(",")) {
      setCreateError("A tag name cannot contain commas.");
      return;
    }
    setCreating(true);
    setCreateError(undefined);
    try {
      const res = await client.createTag({ tag: { name } });
      if (res.tag) {
        const tag = res.tag;
        setTags((list) => [...list, tag].sort(byName));
        setStatus(`Tag ${tag.name} created.`);
      }
      setNewName("");
      changed();
    } catch (err) {
      setCreateError(tagErrorText(err, name));
    } finally {
      setCreating(false);
    }
  };

  const rename = async (tag: Tag, raw: string) => {
    const name = raw.trim();
    setEditing(undefined);
    if (name === "" || name === tag.name) return;
    if (name.includes(",")) {
      setRowError(tag.id, "A tag name cannot contain commas.");
      return;
    }
    replaceTag({ ...tag, name });
    setRowError(tag.id, undefined);
    try {
      const res = await client.updateTag({ tag: { id: tag.id, name }, updateMask: { paths: ["name"] } });
      if (res.tag) replaceTag(res.tag);
      setStatus(`Tag ${tag.name} renamed to ${name}.`);
      changed();
    } catch (err) {
      replaceTag(tag);
      setRowError(tag.id, tagErrorText(err, name));
    }
  };

  const recolour = async (tag: Tag, color: string) => {
    if (color.toLowerCase() === tag.color.toLowerCase()) return;
    replaceTag({ ...tag, color });
    setRowError(tag.id, undefined);
    try {
      const res = await client.updateTag({ tag: { id: tag.id, color }, updateMask: { paths: ["color"] } });
      if (res.tag) replaceTag(res.tag);
      setStatus(`Tag ${tag.name} recoloured.`);
      changed();
    } catch (err) {
      replaceTag(tag);
      setRowError(tag.id, tagErrorText(err, tag.name));
    }
  };

  const remove = async (tag: Tag) => {
    setConfirming(undefined);
    const before = tags();
    setTags(before.filter((t) => t.id !== tag.id));
    try {
      await client.deleteTag({ id: tag.id });
      setStatus(`Tag ${tag.name} deleted.`);
      changed();
    } catch (err) {
      if (codeOf(err) === Code.NotFound) {
        changed();
        return;
      }
      setTags(before);
      setRowError(tag.id, `Could not delete “${tag.name}”: ${errorMessage(err)}`);
    }
  };

  return (
    <section class="te-page" aria-labelledby={`${newId}-h`}>
      <header class="te-page-head">
        <h1 id={`${newId}-h`}>Tags</h1>
      </header>

      <form class="tp-create" onSubmit={create} noValidate>
        <div class="te-field">
          <label for={newId}>New tag</label>
          <input
            id={newId}
            type="text"
            maxLength={64}
            autocomplete="off"
            placeholder="e.g. errands"
            value={newName()}
            aria-invalid={createError() ? true : undefined}
            aria-describedby={createError() ? `${newId}-err` : undefined}
            onInput={(e) => {
              setNewName(e.currentTarget.value);
              setCreateError(undefined);
            }}
          />
        </div>
        <button type="submit" class="te-btn te-btn-primary" disabled={creating()}>
          Create tag
        </button>
        <Show when={createError()}>
          <p id={`${newId}-err`} class="te-error te-error-wide" role="alert">
            {createError()}
          </p>
        </Show>
      </form>

      <p class="te-sr" role="status">
        {status()}
      </p>

      <Show when={!loadError()} fallback={<LoadFailed text={loadError() ?? ""} retry={() => void load()} />}>
        <Show when={!loading() || tags().length > 0} fallback={<p class="te-empty">Loading tags…</p>}>
          <Show
            when={tags().length > 0}
            fallback={<p class="te-empty">No tags yet. Create one above, or add #tags to tasks.</p>}
          >
            <ul class="te-list" aria-label="Your tags">
              <For each={tags()}>
                {(tag) => (
                  <TagRow
                    tag={tag}
                    editing={editing() === tag.id}
                    recolouring={recolouring() === tag.id}
                    confirming={confirming() === tag.id}
                    error={rowErrors()[tag.id]}
                    onEdit={(on) => setEditing(on ? tag.id : undefined)}
                    onRename={(name) => void rename(tag, name)}
                    onToggleColours={() => setRecolouring(recolouring() === tag.id ? undefined : tag.id)}
                    onRecolour={(c) => void recolour(tag, c)}
                    onAskDelete={(on) => setConfirming(on ? tag.id : undefined)}
                    onDelete={() => void remove(tag)}
                  />
                )}
              </For>
            </ul>
          </Show>
        </Show>
      </Show>
    </section>
  );
}

function LoadFailed(props: { text: string; retry(): void }): JSX.Element {
  return (
    <div class="te-banner te-banner-error" role="alert">
      <p>Could not load your tags. {props.text}</p>
      <button type="button" class="te-btn" onClick={() => props.retry()}>
        Try again
      </button>
    </div>
  );
}

interface TagRowProps {
  tag: Tag;
  editing: boolean;
  recolouring: boolean;
  confirming: boolean;
  error: string | undefined;
  onEdit(on: boolean): void;
  onRename(name: string): void;
  onToggleColours(): void;
  onRecolour(color: string): void;
  onAskDelete(on: boolean): void;
  onDelete(): void;
}

function TagRow(props: TagRowProps): JSX.Element {
  const id = createUniqueId();
  let nameInput: HTMLInputElement | undefined;
  let renameButton: HTMLButtonElement | undefined;
  let deleteButton: HTMLButtonElement | undefined;
  let confirmButton: HTMLButtonElement | undefined;
  let cancelled = false;
  const color = () => props.tag.color || "#64748b";

  const startEdit = () => {
    cancelled = false;
    props.onEdit(true);
    queueMicrotask(() => {
      nameInput?.focus();
      nameInput?.select();
    });
  };
  const finish = () => {
    if (cancelled) return;
    props.onRename(nameInput?.value ?? props.tag.name);
    queueMicrotask(() => renameButton?.focus());
  };

  return (
    <li class="tp-row" aria-labelledby={`${id}-name`}>
      <button
        type="button"
        class="tp-swatch"
        style={{ "--swatch": color() }}
        aria-label={`Colour of ${props.tag.name}: ${color()}. Change colour`}
        aria-expanded={props.recolouring}
        aria-controls={`${id}-palette`}
        onClick={() => props.onToggleColours()}
      />
      <Show
        when={props.editing}
        fallback={
          <span id={`${id}-name`} class="tp-name">
            {props.tag.name}
          </span>
        }
      >
        <input
          ref={nameInput}
          id={`${id}-name`}
          class="tp-name-input"
          type="text"
          maxLength={64}
          value={props.tag.name}
          aria-label={`New name for ${props.tag.name}`}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              nameInput?.blur();
            } else if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              cancelled = true;
              props.onEdit(false);
              queueMicrotask(() => renameButton?.focus());
            }
          }}
          onBlur={finish}
        />
      </Show>
      <span class="tp-count">{countText(props.tag.taskCount)}</span>
      <span class="tp-actions">
        <button
          ref={renameButton}
          type="button"
          class="te-btn te-btn-ghost"
          aria-label={`Rename ${props.tag.name}`}
          disabled={props.editing}
          onClick={startEdit}
        >
          Rename
        </button>
        <button
          ref={deleteButton}
          type="button"
          class="te-btn te-btn-ghost"
          aria-label={`Delete ${props.tag.name}`}
          onClick={() => {
            props.onAskDelete(true);
            queueMicrotask(() => confirmButton?.focus());
          }}
        >
          Delete
        </button>
      </span>

      <Show when={props.recolouring}>
        <div id={`${id}-palette`} class="tp-palette">
          <For each={TAG_PALETTE}>
            {(c) => (
              <button
                type="button"
                class="tp-swatch"
                style={{ "--swatch": c }}
                aria-label={`Use colour ${c}`}
                aria-pressed={c === props.tag.color.toLowerCase()}
                onClick={() => props.onRecolour(c)}
              />
            )}
          </For>
          <label class="tp-custom">
            <input
              type="color"
              value={color()}
              onChange={(e) => props.onRecolour(e.currentTarget.value.toLowerCase())}
            />
            <span>Custom colour</span>
          </label>
        </div>
      </Show>

      <Show when={props.confirming}>
        <div class="tp-confirm" role="alertdialog" aria-labelledby={`${id}-confirm`}>
          <p id={`${id}-confirm`}>
            Delete “{props.tag.name}”?{" "}
            {props.tag.taskCount === 0
              ? "No open task carries it."
              : `It will be removed from ${countText(props.tag.taskCount)} (and from completed ones).`}
          </p>
          <button
            ref={confirmButton}
            type="button"
            class="te-btn te-btn-danger"
            onClick={() => props.onDelete()}
          >
            Delete tag
          </button>
          <button
            type="button"
            class="te-btn"
            onClick={() => {
              props.onAskDelete(false);
              queueMicrotask(() => deleteButton?.focus());
            }}
          >
            Cancel
          </button>
        </div>
      </Show>

      <Show when={props.error}>
        <p class="te-error te-error-wide" role="alert">
          {props.error}
        </p>
      </Show>
    </li>
  );
}

export default TagsPage;
