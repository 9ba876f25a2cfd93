/**
 * The markers a quick-add line carries outside its sentence: `#tags` and priorities ("!high",
 * "!!!", "p:high", "priority: high", "high priority", Todoist's "p1"–"p4").
 */
import type { Take } from "./claims.ts";
import { PRIORITY_CONNECTORS } from "./connectors.ts";
import { type PriorityName, priorityWord } from "./priority.ts";
import type { Scanner } from "./scanner.ts";
import type { Token } from "./tokenize.ts";
import { wordTable } from "./word-table.ts";

/**
 * Tags: `#name` tokens whose name (outer `-`, `/`, `_` trimmed) has a letter and at most 64
 * characters; unique ignoring case, the first spelling kept.
 */
export function readTags(tokens: readonly Token[], take: Take): string[] {
  const tags: string[] = [];
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    if (t.kind !== "tag") return;
    const name = t.text.slice(1).replace(/^[-/_]+|[-/_]+$/g, "");
    if (!/\p{L}/u.test(name) || name.length > 64) return;
    take(i, i + 1, "tag");
    const key = name.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      tags.push(name);
    }
  });
  return tags;
}

/** "!!", "!!!", "!!!!": medium, high, urgent. */
const BANGS = wordTable<PriorityName>({ "!!": "medium", "!!!": "high", "!!!!": "urgent" });

/** Todoist's numbered priorities, a word of their own: p1 is the most urgent, p4 the least. */
const TODOIST = wordTable<PriorityName>({ p1: "urgent", p2: "high", p3: "medium", p4: "low" });

/**
 * Priorities: by name ("!high", "!!!", "p:high", "priority: high", "high priority") and Todoist's
 * "p1"–"p4" (p1 urgent, p2 high, p3 medium, p4 low), which Todoist users type out of habit. Other
 * numbers ("!1", "p5", "priority 1") stay in the title: apps number priorities in opposite
 * directions, and only Todoist's spelling is unambiguous. The last one typed wins.
 */
export function readPriority(s: Scanner, take: Take): PriorityName | undefined {
  let priority: PriorityName | undefined;
  for (let i = 0; i < s.tokens.length; i++) {
    if (!s.tokens[i] || s.used[i]) continue;
    const found = priorityAt(s, i);
    if (!found) continue;
    take(i, found.end, "priority", found.connectors);
    priority = found.priority;
    i = found.end - 1;
  }
  return priority;
}

/** A priority marker starting at token `i`, up to token `end`, and whether connectors before it go with it. */
function priorityAt(
  s: Scanner,
  i: number,
): { priority: PriorityName; end: number; connectors?: ReadonlySet<string> } | undefined {
  const t = s.tokens[i];
  if (t?.kind === "bang") {
    const p = BANGS[t.lower] ?? priorityWord(t.lower.slice(1));
    return p && /^!(!{1,3}|[a-z]+)$/.test(t.lower) ? { priority: p, end: i + 1 } : undefined;
  }
  const w = s.w(i);
  if (w === undefined) return undefined;
  // "p1" … "p4"
  const numbered = TODOIST[w];
  if (numbered) return { priority: numbered, end: i + 1 };
  // "p:high", "priority:low"
  const glued = /^(p|pri|prio|priority):([a-z]+)$/.exec(w);
  if (glued) {
    const p = priorityWord(glued[2] ?? "");
    return p ? { priority: p, end: i + 1 } : undefined;
  }
  // "priority high", "prio: low", "p: urgent" (a bare "p" needs the colon)
  if (w === "p" || w === "pri" || w === "prio" || w === "priority") {
    const colon = s.p(i + 1) === ":" ? 1 : 0;
    const p = colon || w !== "p" ? priorityWord(s.w(i + 1 + colon) ?? "") : undefined;
    if (p) return { priority: p, end: i + 2 + colon, connectors: PRIORITY_CONNECTORS };
  }
  // "high priority", "urgent prio"
  const named = priorityWord(w);
  if (named && s.is(i + 1, "priority", "prio"))
    return { priority: named, end: i + 2, connectors: PRIORITY_CONNECTORS };
  return undefined;
}
