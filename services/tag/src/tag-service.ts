/**
 * `todo.tag.v1.TagService`: the caller's tag catalogue. Names are unique per user ignoring case; a
 * rename or delete is written with its TagRenamed/TagDeleted event in one transaction, and the task
 * service applies it to the tasks. Counts come from task events, so they may trail a task change by a
 * moment. Another user's tag id is NOT_FOUND and changes nothing.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Tag, TagSchema } from "@todo/gen/todo/tag/v1/tag_pb";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { invalidArgument, notFound, principalOf } from "@todo/platform";
import { defaultTagColor, normaliseColor } from "./colors";
import type { TagCursor, TagPatch, TagRow, TagStore } from "./store";
import { MAX_PAGE_SIZE, updatedFields } from "./validation";

/** What the service needs. */
export interface TagServiceDeps {
  readonly store: TagStore;
  /** Called after a transaction that enqueued events committed (wakes an in-process outbox relay). */
  readonly afterCommit?: () => void;
}

/** The page size when the request gives none. */
export const DEFAULT_PAGE_SIZE = 200;

function toTag(row: TagRow): Tag {
  return create(TagSchema, {
    id: row.id,
    name: row.name,
    color: row.color,
    taskCount: row.task_count,
    createTime: timestampFromDate(row.create_time),
    updateTime: timestampFromDate(row.update_time),
  });
}

/** An opaque page token: the (name_key, id) of the last tag of the previous page. */
export function encodePageToken(cursor: TagCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, k: cursor.key, i: cursor.id })).toString("base64url");
}

/** Reads a page token; INVALID_ARGUMENT naming `page_token` when it is not one of ours. */
export function decodePageToken(token: string): TagCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (parsed && typeof parsed === "object") {
      const { v, k, i } = parsed as Record<string, unknown>;
      if (v === 1 && typeof k === "string" && typeof i === "string" && /^[0-9a-f-]{36}$/i.test(i)) {
        return { key: k, id: i };
      }
    }
  } catch {
    // fall through
  }
  throw invalidArgument({
    field: "page_token",
    description: "is not a page token from ListTags; start again without it",
  });
}

/** Creates the TagService implementation. */
export function createTagService(deps: TagServiceDeps): ServiceImpl<typeof TagService> {
  const { store } = deps;
  const afterCommit = deps.afterCommit ?? (() => {});
  return {
    async listTags(req, ctx) {
      const { userId } = principalOf(ctx);
      const limit = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(req.pageSize, MAX_PAGE_SIZE);
      const cursor = req.pageToken === "" ? undefined : decodePageToken(req.pageToken);
      const rows = await store.list(userId, cursor, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        tags: page.map(toTag),
        nextPageToken:
          rows.length > limit && last ? encodePageToken({ key: last.name_key, id: last.id }) : "",
      };
    },

    async createTag(req, ctx) {
      const { userId } = principalOf(ctx);
      const tag = req.tag as Tag;
      const name = tag.name.trim();
      const color = tag.color.trim() === "" ? defaultTagColor(name) : normaliseColor(tag.color);
      const row = await store.create(userId, name, color);
      if (!row)
        throw new ConnectError(`a tag named ${JSON.stringify(name)} already exists`, Code.AlreadyExists);
      return { tag: toTag(row) };
    },

    async updateTag(req, ctx) {
      const { userId } = principalOf(ctx);
      const tag = req.tag as Tag;
      const fields = updatedFields(req.updateMask?.paths ?? []);
      const patch: { -readonly [K in keyof TagPatch]: TagPatch[K] } = {};
      if (fields.has("name")) patch.name = tag.name.trim();
      if (fields.has("color")) patch.color = tag.color.trim() === "" ? null : normaliseColor(tag.color);
      const result = await store.update(userId, tag.id.trim(), patch);
      if ("missing" in result) throw notFound("tag", tag.id);
      if ("conflict" in result) {
        throw new ConnectError(
          `a tag named ${JSON.stringify(patch.name)} already exists`,
          Code.AlreadyExists,
        );
      }
      if (result.renamed) afterCommit();
      return { tag: toTag(result.row) };
    },

    async deleteTag(req, ctx) {
      const { userId } = principalOf(ctx);
      if (!(await store.delete(userId, req.id.trim()))) throw notFound("tag", req.id);
      afterCommit();
      return {};
    },
  };
}
