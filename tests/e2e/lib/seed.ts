/**
 * Generated task sets: a large, varied account for the benchmark (deterministic, so runs compare),
 * and a small, realistic one for the screenshots.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Priority, RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskInit } from "./api.ts";

const VERBS = [
  "Review",
  "Send",
  "Fix",
  "Plan",
  "Call",
  "Write",
  "Book",
  "Pay",
  "Order",
  "Clean",
  "Update",
  "Prepare",
];
const NOUNS = [
  "invoice",
  "report",
  "roadmap",
  "dentist",
  "garden",
  "budget",
  "slides",
  "contract",
  "newsletter",
  "insurance",
  "laptop",
  "groceries",
  "passport",
  "harbor",
  "quarterly",
  "kitchen",
];
const PLACES = ["Berlin", "Toronto", "Lisbon", "Osaka", "Nairobi", "Denver", "Oslo", "Quito"];
const TAGS = ["work", "home", "errands", "finance", "health", "travel", "reading", "family"];
const PRIORITIES = [Priority.UNSPECIFIED, Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT];

/** A small deterministic generator (mulberry32), so every run seeds the same account. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The i-th task of the benchmark account: titles like "Review invoice for Berlin #1234" (so
 * searches for a word match many tasks and a number matches one), 0–2 tags, every priority, due
 * dates spread over ±60 days (a fifth without one), every 25th task recurring weekly.
 */
export function benchTask(i: number, now: Date): TaskInit {
  const r = random(i + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const tags = [...new Set(Array.from({ length: Math.floor(r() * 3) }, () => pick(TAGS)))];
  const hasDue = i % 25 === 0 || r() > 0.2;
  const due = new Date(now.getTime() + Math.round((r() * 120 - 60) * 24) * 3600_000);
  return {
    title: `${pick(VERBS)} ${pick(NOUNS)} for ${pick(PLACES)} #${i}`,
    description: r() > 0.7 ? `Notes for task ${i}: ${pick(NOUNS)} and ${pick(NOUNS)}.` : "",
    priority: pick(PRIORITIES),
    tags,
    timeZone: "UTC",
    ...(hasDue ? { dueTime: timestampFromDate(due) } : {}),
    ...(i % 25 === 0 ? { recurrence: { rrule: "FREQ=WEEKLY", anchor: RecurrenceAnchor.SCHEDULE } } : {}),
  };
}

/** Search texts for the benchmark: a word, a rarer word, a prefix, two words, a place. */
export const benchQueries: readonly string[] = [
  "invoice",
  "harbor",
  "passp",
  "budget Oslo",
  "Nairobi",
  "kitchen",
];

/**
 * The demo account of the screenshots: a plausible week of someone's tasks, relative to `now`,
 * in the time zone `timeZone`.
 */
export function demoTasks(now: Date, timeZone = "UTC"): TaskInit[] {
  const day = (offset: number, hour: number, minute = 0) => {
    const d = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset, hour, minute),
    );
    return timestampFromDate(d);
  };
  const nextFirst = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 9));
  const tasks: TaskInit[] = [
    {
      title: "Pay rent",
      priority: Priority.HIGH,
      tags: ["home", "finance"],
      dueTime: timestampFromDate(nextFirst),
      recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=1", anchor: RecurrenceAnchor.SCHEDULE },
      reminders: [{ trigger: { case: "beforeDue" as const, value: { seconds: BigInt(24 * 3600) } } }],
    },
    {
      title: "Team standup",
      priority: Priority.MEDIUM,
      tags: ["work"],
      dueTime: day(1, 9, 30),
      recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", anchor: RecurrenceAnchor.SCHEDULE },
      reminders: [{ trigger: { case: "beforeDue" as const, value: { seconds: BigInt(10 * 60) } } }],
    },
    {
      title: "Send the quarterly report to Dana",
      description: "Numbers from the finance sheet; ask Sam for the churn chart.",
      priority: Priority.URGENT,
      tags: ["work"],
      dueTime: day(-1, 17),
    },
    { title: "Call mom", priority: Priority.UNSPECIFIED, tags: ["family"], dueTime: day(1, 18) },
    { title: "Book dentist appointment", priority: Priority.LOW, tags: ["health"], dueTime: day(3, 10) },
    { title: "Buy oat milk and coffee beans", tags: ["errands"], dueTime: day(0, 19) },
    {
      title: "Water the plants",
      tags: ["home"],
      dueTime: day(2, 8),
      recurrence: { rrule: "FREQ=DAILY;INTERVAL=3", anchor: RecurrenceAnchor.COMPLETION },
    },
    { title: "Renew passport", priority: Priority.HIGH, tags: ["travel"], dueTime: day(12, 12) },
    { title: "Read “The Overstory”", priority: Priority.LOW, tags: ["reading"] },
    {
      title: "Plan the Lisbon trip",
      priority: Priority.MEDIUM,
      tags: ["travel", "family"],
      dueTime: day(6, 20),
    },
  ];
  return tasks.map((t) => ({ timeZone, ...t }));
}
