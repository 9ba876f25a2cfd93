/**
 * The tag catalogue (names, colours, counts) for chips and the tag filter. Loaded once per session
 * and refreshed when a task shows a tag the catalogue does not know yet, or on demand (the Tags page
 * calls `refresh()` after a rename).
 */
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { type Accessor, createContext, createMemo, createSignal, useContext } from "solid-js";

/** The catalogue. */
export interface TagCatalog {
  readonly tags: Accessor<readonly Tag[]>;
  /** The colour of a tag by name (any case), if known. */
  colorOf(name: string): string | undefined;
  /** Loads the catalogue again. */
  refresh(): Promise<void>;
  /** Refreshes (debounced) if any of `names` is unknown. */
  notice(names: readonly string[]): void;
}

/** Creates a catalogue over `listTags` (all pages). */
export function createTagCatalog(
  listTags: (req: { pageSize: number; pageToken: string }) => Promise<{ tags: Tag[]; nextPageToken: string }>,
): TagCatalog {
  const [tags, setTags] = createSignal<readonly Tag[]>([]);
  const byName = createMemo(() => new Map(tags().map((t) => [t.name.toLowerCase(), t])));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;

  async function load() {
    const out: Tag[] = [];
    let token = "";
    for (let i = 0; i < 20; i++) {
      const res = await listTags({ pageSize: 500, pageToken: token });
      out.push(...res.tags);
      token = res.nextPageToken;
      if (!token) break;
    }
    setTags(out);
  }

  const refresh = () => {
    inFlight ??= load()
      .catch(() => {
        // The chips fall back to a neutral colour; the next refresh tries again.
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  return {
    tags,
    colorOf: (name) => byName().get(name.toLowerCase())?.color || undefined,
    refresh,
    notice(names) {
      const known = byName();
      if (names.every((n) => known.has(n.toLowerCase()))) return;
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), 500);
    },
  };
}

const TagContext = createContext<TagCatalog>();
/** Provides the catalogue. */
export const TagCatalogProvider = TagContext.Provider;
/** The catalogue, if provided. */
export function useTagCatalog(): TagCatalog | undefined {
  return useContext(TagContext);
}
