/**
 * The codecs of the events services exchange, over the contract in `gen/`: what a producer writes
 * on a topic and how a consumer reads it back, in one place, so that no service needs another
 * service's code to read its events (docs/events.md lists the topics).
 */

export { etagOf, etagVersion } from "./etag";
export {
  decodeTaskEvent,
  encodeTaskEvent,
  TASK_EVENT_SOURCE,
  type TaskChange,
  type TaskSnapshotEvent,
} from "./task-events";
