/**
 * The events the tag service produces on `tag-events` (keyed by tag id, so one tag's events stay in
 * order): TagRenamed and TagDeleted, written to `tag.outbox` inside the change's transaction. The
 * task service consumes them to rename or remove the tag on the user's tasks.
 */
import { TagDeletedSchema, TagRenamedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { EventTypes, Topics, type TxSql, toCloudEvent } from "@todo/platform";
import { enqueueEvent } from "@todo/platform/events";

/** The CloudEvents `source` of events the tag service produces. */
export const TAG_EVENT_SOURCE = "todo/tag";

/** Enqueues TagRenamed in `tx`. */
export async function emitTagRenamed(
  tx: TxSql,
  e: { userId: string; tagId: string; oldName: string; newName: string },
): Promise<void> {
  const event = toCloudEvent(TagRenamedSchema, e, {
    source: TAG_EVENT_SOURCE,
    type: EventTypes.tagRenamed,
    subject: e.tagId,
  });
  await enqueueEvent(tx, "tag", { topic: Topics.tagEvents, key: e.tagId, event });
}

/** Enqueues TagDeleted in `tx`. */
export async function emitTagDeleted(
  tx: TxSql,
  e: { userId: string; tagId: string; name: string },
): Promise<void> {
  const event = toCloudEvent(TagDeletedSchema, e, {
    source: TAG_EVENT_SOURCE,
    type: EventTypes.tagDeleted,
    subject: e.tagId,
  });
  await enqueueEvent(tx, "tag", { topic: Topics.tagEvents, key: e.tagId, event });
}
