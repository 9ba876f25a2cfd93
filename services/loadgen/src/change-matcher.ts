/**
 * The change → other-window delay of one user: the time from the start of the user's call to the
 * arrival of that change on the same user's WatchTasks stream — what a second window (another tab,
 * the phone) waits before it shows the change. Measured from the call's start, not its response,
 * because the event may arrive before the response does (the stream and the call race), and the
 * start is what both windows' user lived through.
 *
 * A change is known by its type, task id and etag (the etag of the task the response carries, which
 * is the etag of the event's snapshot; a deletion by type and id), so a late event of an earlier
 * change is never taken for a later one. The event may come first: it then waits in `arrivals`
 * until the response names it.
 */
import { ChangeType, type TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import type { Recorder } from "./recorder";

/** How long an unclaimed arrival or an unanswered expectation is kept, ms. */
const KEEP_MS = 30_000;

/** The key of a change: type, task id and, except for deletions, the etag after it. */
export function changeKey(type: ChangeType, taskId: string, etag: string): string {
  return type === ChangeType.DELETED ? `${type}:${taskId}` : `${type}:${taskId}:${etag}`;
}

/** The key of a change seen on a WatchTasks stream. */
export function keyOfChange(change: TaskChange): string {
  return changeKey(change.type, change.task?.id ?? "", change.task?.etag ?? "");
}

/** Matches one user's calls with the changes on that user's stream. */
export class ChangeMatcher {
  private readonly arrivals = new Map<string, number>();
  private readonly expected = new Map<string, { start: number; measured: boolean }>();
  /** Changes seen on the stream so far (the stream is live once this is above zero). */
  seen = 0;

  constructor(private readonly recorder: Recorder) {}

  /** Changes this user made that have not arrived on its stream yet. */
  get pending(): number {
    return this.expected.size;
  }

  /** A change arrived on the stream at `at` (performance.now()). */
  arrived(key: string, at: number): void {
    this.seen++;
    const call = this.expected.get(key);
    if (call) {
      this.expected.delete(key);
      if (call.measured) this.recorder.watchDelay(at - call.start);
    } else {
      this.arrivals.set(key, at);
    }
  }

  /** The call that started at `start` (performance.now()) made the change `key`. */
  expect(key: string, start: number): void {
    const measured = this.recorder.measuring;
    const at = this.arrivals.get(key);
    if (at !== undefined) {
      this.arrivals.delete(key);
      if (measured) this.recorder.watchDelay(at - start);
    } else {
      this.expected.set(key, { start, measured });
    }
  }

  /** Forgets arrivals nobody claimed and counts changes that never arrived, older than 30 s. */
  sweep(now = performance.now()): void {
    for (const [key, at] of this.arrivals) if (now - at > KEEP_MS) this.arrivals.delete(key);
    for (const [key, call] of this.expected) {
      if (now - call.start > KEEP_MS) {
        this.expected.delete(key);
        if (call.measured) this.recorder.watchMiss();
      }
    }
  }

  /** At the end of a run: every change still expected is missed. */
  finish(): void {
    for (const call of this.expected.values()) if (call.measured) this.recorder.watchMiss();
    this.expected.clear();
  }
}
