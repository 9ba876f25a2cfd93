/**
 * Realistic task text for the API benchmark (`bench/api.ts`): a small vocabulary of everyday work and
 * home tasks, combined at random (seeded, so every run loads the same text), and the search queries
 * the search phase sends over it.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Priority } from "@todo/gen/todo/task/v1/task_pb";
import type { CreateTaskRequestSchema } from "@todo/gen/todo/task/v1/task_service_pb";
import { random } from "../../tests/e2e/lib/seed.ts";

/** The `task` of a CreateTask request. */
type TaskInit = NonNullable<MessageInitShape<typeof CreateTaskRequestSchema>["task"]>;

/** Verbs of task titles (also the raw INSERT phase's titles). */
export const VERBS = (
  "call email review write prepare send book schedule fix clean buy plan update check order pay renew " +
  "cancel finish draft organise submit discuss research test deploy refactor document backup install " +
  "replace repair collect return pick water read print sign file archive migrate benchmark publish"
).split(" ");
/** Nouns of task titles and descriptions. */
export const NOUNS = (
  "report budget invoice meeting dentist plumber passport insurance presentation proposal contract " +
  "newsletter database server laptop printer garden groceries birthday present tickets flight hotel " +
  "taxes receipts slides roadmap release changelog dashboard calendar agenda minutes interview " +
  "candidate feedback survey website blog article podcast video camera kitchen bathroom garage car " +
  "bicycle tyres battery charger keyboard monitor router firewall certificate license subscription " +
  "library book recipe dinner lunch breakfast vitamins prescription pharmacy doctor appointment school " +
  "homework teacher parents neighbours package delivery warranty refund mortgage rent landlord " +
  "electricity heating boiler windows curtains furniture sofa mattress paint wallpaper lamp plants " +
  "fertiliser lawn hedge fence roof gutter chimney quarterly annual weekly monthly sprint backlog " +
  "ticket incident outage postmortem onboarding offboarding payroll expenses travel conference workshop"
).split(" ");
const CONTEXT = (
  "for the team|with Anna|with the landlord|before Friday|after lunch|for next week|with the accountant|" +
  "for the client|at the office|at home|on the weekend|for mum|for the kids|with the designer|for Q3|" +
  "before the holidays|with support|for the audit|with marketing|after the standup"
).split("|");
const FILLER = (
  "the and with about before after because needs should might please remember also first then check " +
  "again quickly carefully together new old final draft urgent small large shared private online"
).split(" ");
const NAMES = (
  "Anna Ben Chloe David Emma Felix Grace Hannah Ivan Julia Karim Lena Marco Nina Oscar Priya Quentin Rosa " +
  "Samir Tara Umar Vera Walter Xenia Yusuf Zoe Amelie Bruno Carla Dmitri Elif Farid Greta Hugo Ingrid Jonas " +
  "Kenji Lucia Mateo Noor Olga Pablo Rania Stefan Tobias Ursula Viktor Wiebke Yara Zeynep"
).split(" ");
const PROJECTS = (
  "Falcon Orion Atlas Nimbus Aurora Cobalt Juniper Kestrel Lumen Mistral Nova Onyx Pegasus Quartz Raven " +
  "Sequoia Tundra Umbra Vortex Willow Zephyr Apollo Borealis Cascade Delta Ember Fjord Glacier Helix Iris"
).split(" ");
const PLACES = (
  "Berlin Hamburg Munich Vienna Zurich Paris Lyon Madrid Lisbon Rome Milan Amsterdam Brussels Copenhagen " +
  "Stockholm Oslo Helsinki Warsaw Prague Budapest Dublin London Edinburgh Boston Toronto Chicago Seattle Tokyo " +
  "Osaka Sydney"
).split(" ");
const TAGS = ["work", "home", "errand", "finance", "health", "family", "urgent", "someday", "reading", "ops"];
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"];

/** One item of `list`, uniformly. */
export const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;

/**
 * Picks from `list` with Zipf-like weights (the k-th item ∝ 1/k), so a few words are common and most
 * are rare, as in real text.
 */
function zipfPicker<T>(list: readonly T[]): (r: () => number) => T {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= list.length; k++) {
    total += 1 / k;
    cumulative.push(total);
  }
  return (r) => {
    const x = r() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return list[lo] as T;
  };
}
/** Description words: everything, in a fixed shuffled order, with Zipf weights. */
const descriptionWord = (() => {
  const all = [...FILLER, ...NOUNS, ...VERBS, ...NAMES, ...PLACES, ...PROJECTS];
  const r = random(11);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j] as string, all[i] as string];
  }
  return zipfPicker(all);
})();
const titleNoun = zipfPicker(NOUNS);
const titleVerb = zipfPicker(VERBS);

/** What the benchmark puts into one task. */
export interface TaskText {
  title: string;
  description: string;
  tags: string[];
  priority: number;
  dueMs: number | null;
  timeZone: string;
}

/**
 * A task of everyday text (title, description, tags, priority, due time) drawn from `r`; due times
 * fall from 15 days before to 75 days after `now`.
 */
export function taskText(r: () => number, now: number): TaskText {
  const parts = [titleVerb(r), titleNoun(r)];
  if (r() < 0.4) parts.push(titleNoun(r));
  const extra = r();
  if (extra < 0.25) parts.push(`with ${pick(r, NAMES)}`);
  else if (extra < 0.4) parts.push(`for project ${pick(r, PROJECTS)}`);
  else if (extra < 0.5) parts.push(`in ${pick(r, PLACES)}`);
  else if (extra < 0.6) parts.push(`#${1000 + Math.floor(r() * 9000)}`);
  else if (extra < 0.8) parts.push(pick(r, CONTEXT));
  const title = parts.join(" ").replace(/^./, (c) => c.toUpperCase());
  const words: string[] = [];
  const n = Math.floor(r() * 30);
  for (let i = 0; i < n; i++) words.push(descriptionWord(r));
  const tags = new Set<string>();
  const tagCount = Math.floor(r() * 3);
  for (let i = 0; i < tagCount; i++) tags.add(pick(r, TAGS));
  return {
    title,
    description: words.join(" "),
    tags: [...tags],
    priority: Math.floor(r() * 5),
    dueMs: r() < 0.7 ? now + Math.floor((r() * 90 - 15) * 86_400_000) : null,
    timeZone: pick(r, ZONES),
  };
}

/**
 * The fields of a CreateTask request's task for `t` (due time and time zone when it has one), plus
 * `extra` (reminders).
 */
export function taskInit(t: TaskText, extra: { reminders?: TaskInit["reminders"] } = {}): TaskInit {
  return {
    title: t.title,
    description: t.description,
    priority: t.priority as Priority,
    tags: t.tags,
    timeZone: t.timeZone,
    ...(t.dueMs === null
      ? {}
      : { dueTime: { seconds: BigInt(Math.floor(t.dueMs / 1000)), nanos: 0 }, ...extra }),
  };
}

/**
 * Search queries of four kinds, in rotation: a word, a prefix, two words, a word with a typo. Words
 * are drawn uniformly from the vocabulary (people search for the specific, not for "the").
 */
export function searchQueries(count: number): { text: string; kind: string }[] {
  const r = random(7);
  const vocabulary = [...NOUNS, ...NAMES, ...PROJECTS, ...PLACES].map((w) => w.toLowerCase());
  const out: { text: string; kind: string }[] = [];
  for (let i = 0; i < count; i++) {
    const word = pick(r, vocabulary);
    switch (i % 4) {
      case 0:
        out.push({ text: word, kind: "word" });
        break;
      case 1:
        out.push({ text: word.slice(0, Math.max(3, Math.ceil(word.length / 2))), kind: "prefix" });
        break;
      case 2:
        out.push({ text: `${pick(r, VERBS)} ${word}`, kind: "two words" });
        break;
      default: {
        // Swap two neighbouring letters inside the word: "meeting" → "meetnig".
        if (word.length < 5) out.push({ text: word, kind: "typo" });
        else {
          const k = 2 + Math.floor(r() * (word.length - 3));
          out.push({
            text: word.slice(0, k) + word.charAt(k + 1) + word.charAt(k) + word.slice(k + 2),
            kind: "typo",
          });
        }
      }
    }
  }
  return out;
}
