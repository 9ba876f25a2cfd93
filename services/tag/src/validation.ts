/**
 * Request validation for TagService (run by the platform's validation interceptor before every
 * handler, so handlers may assume valid input). Tag names follow the same rules as task tags in the
 * task service: trimmed, 1 to 64 characters, no comma or control character.
 */
import type { Message } from "@bufbuild/protobuf";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import type {
  CreateTagRequest,
  ListTagsRequest,
  UpdateTagRequest,
} from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { FieldViolation, ServiceValidators } from "@todo/platform";
import { isHexColor } from "./colors";

/** The longest tag name, in characters. */
export const MAX_TAG_NAME = 64;
/** The largest ListTags page. */
export const MAX_PAGE_SIZE = 1000;
/** The fields UpdateTag can change. */
export const UPDATABLE_FIELDS = ["name", "color"] as const;
/** One of `UPDATABLE_FIELDS`. */
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

/** The problem with a tag name, or undefined when it is fine. */
export function tagNameProblem(raw: string): string | undefined {
  const name = raw.trim();
  if (name === "") return "is required and must not be blank";
  const length = [...name].length;
  if (length > MAX_TAG_NAME) return `must be at most ${MAX_TAG_NAME} characters (got ${length})`;
  if (/[,\p{Cc}]/u.test(name)) return "must not contain commas or control characters";
  return undefined;
}

function colorViolations(tag: Tag, out: FieldViolation[]): void {
  if (tag.color.trim() !== "" && !isHexColor(tag.color.trim())) {
    out.push({
      field: "tag.color",
      description: 'must be a hex colour such as "#3b82f6" (or empty for a default)',
    });
  }
}

function nameViolations(tag: Tag, out: FieldViolation[]): void {
  const problem = tagNameProblem(tag.name);
  if (problem) out.push({ field: "tag.name", description: problem });
}

/** The UpdateTag fields named by `paths`; empty means all of them. */
export function updatedFields(paths: readonly string[]): Set<UpdatableField> {
  return new Set(paths.length === 0 ? UPDATABLE_FIELDS : (paths as UpdatableField[]));
}

function listTags(message: Message): FieldViolation[] {
  const req = message as ListTagsRequest;
  if (req.pageSize < 0) return [{ field: "page_size", description: "must not be negative" }];
  return [];
}

function createTag(message: Message): FieldViolation[] {
  const tag = (message as CreateTagRequest).tag as Tag;
  const out: FieldViolation[] = [];
  nameViolations(tag, out);
  colorViolations(tag, out);
  return out;
}

function updateTag(message: Message): FieldViolation[] {
  const req = message as UpdateTagRequest;
  const tag = req.tag as Tag;
  const out: FieldViolation[] = [];
  if (tag.id.trim() === "")
    out.push({ field: "tag.id", description: "is required: the id of the tag to change" });
  const paths = req.updateMask?.paths ?? [];
  const unknown = paths.filter((p) => !(UPDATABLE_FIELDS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    out.push({
      field: "update_mask",
      description: `cannot update ${unknown.map((p) => JSON.stringify(p)).join(", ")}; updatable fields are name and color`,
    });
    return out;
  }
  const fields = updatedFields(paths);
  if (fields.has("name")) nameViolations(tag, out);
  if (fields.has("color")) colorViolations(tag, out);
  return out;
}

/** The TagService validators, by method. `DeleteTag` needs only its REQUIRED `id`. */
export const tagValidators: ServiceValidators = {
  ListTags: listTags,
  CreateTag: createTag,
  UpdateTag: updateTag,
};
