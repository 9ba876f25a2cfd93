/**
 * The words of a daily-digest notification: a title such as `3 overdue tasks` and a body listing
 * them, one per line (`Pay rent — due yesterday 17:00`), with `…and 4 more` when the digest carries
 * fewer tasks than it counts, and the time zone the times are in. Relative words are computed
 * against the digest's own time, so a redelivered event always yields the same text.
 */
import { canonicalTimeZone } from "@todo/platform";
import { MAX_QUOTED_TITLE, relativeWhen } from "./notification-text";

/** One listed task. */
export interface DigestTask {
  readonly title: string;
  readonly dueTime: Date;
}

/** What a digest notification is written from. */
export interface DigestText {
  /** How many tasks are overdue (at least as many as listed). */
  readonly overdueCount: number;
  /** The tasks due first, earliest first. */
  readonly tasks: readonly DigestTask[];
  /** When the digest was made: "now" for the relative words. */
  readonly digestTime: Date;
  /** The user's IANA time zone; UTC when empty or unknown. */
  readonly timeZone?: string | undefined;
}

/** `1 overdue task`, `3 overdue tasks`. */
export function digestTitle(overdueCount: number): string {
  return `${overdueCount} overdue ${overdueCount === 1 ? "task" : "tasks"}`;
}

function quoted(title: string): string {
  const t = title.replace(/\s+/g, " ").trim();
  if (t === "") return "(untitled task)";
  const chars = [...t];
  return chars.length > MAX_QUOTED_TITLE ? `${chars.slice(0, MAX_QUOTED_TITLE - 1).join("")}…` : t;
}

/** The body: one line per listed task, `…and N more` for the rest, then `Times in <zone>.` */
export function digestBody(d: DigestText): string {
  const zone = (d.timeZone && canonicalTimeZone(d.timeZone)) || "UTC";
  const lines = d.tasks.map((t) => `${quoted(t.title)} — due ${relativeWhen(t.dueTime, d.digestTime, zone)}`);
  const rest = d.overdueCount - d.tasks.length;
  if (rest > 0) lines.push(`…and ${rest} more`);
  lines.push(`Times in ${zone}.`);
  return lines.join("\n");
}
