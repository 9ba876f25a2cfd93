/**
 * The shared language module (`@todo/language`: the quick-add parser and `describeRecurrence`),
 * loaded on demand. It carries chrono-node, so it is never part of the initial bundle: the quick-add
 * box loads it on first focus, and the app preloads it when the browser is idle. Until it is there,
 * recurrence text comes from the small fallback in lib/format.ts, and rows switch to the real words
 * by themselves once it arrives (the module is held in a signal).
 */

import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import type { QuickAddResult } from "@todo/language";
import { PRIORITY_BY_NAME } from "@todo/language/priority";
import { createRoot, createSignal } from "solid-js";
import { describeRRuleFallback } from "../lib/format";
import type { QuickAddParsed, QuickAddParseFn } from "./quick-add";

type LanguageModule = typeof import("@todo/language");

const [module, setModule] = createRoot(() => createSignal<LanguageModule>());
let loading: Promise<LanguageModule> | undefined;

/** Loads the language module once; later calls share the same promise. */
export function loadLanguage(): Promise<LanguageModule> {
  loading ??= import("@todo/language").then(
    (m) => {
      setModule(() => m);
      return m;
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** Starts loading the module when the browser is idle (a no-op if it is loaded or loading). */
export function preloadLanguage(): void {
  const idle = (globalThis as { requestIdleCallback?: (cb: () => void) => number }).requestIdleCallback;
  const go = () => void loadLanguage().catch(() => {});
  if (idle) idle(go);
  else setTimeout(go, 2000);
}

/**
 * Words for an RRULE ("every Monday", "every 3 days after completion"): the shared
 * `describeRecurrence` once loaded, the local fallback before. Reactive: a row that called it
 * re-renders when the module arrives.
 */
export function describeRecurrence(rrule: string, anchor?: RecurrenceAnchor): string {
  const completion = anchor === RecurrenceAnchor.COMPLETION;
  const m = module();
  if (m) {
    try {
      const text = m.describeRecurrence(rrule, completion ? "completion" : "schedule");
      if (text) return text;
    } catch {
      // A rule the shared module cannot read still gets the fallback's words.
    }
  }
  const text = describeRRuleFallback(rrule);
  return completion ? `${text} after completion` : text;
}

/** The app's view of one `parseQuickAdd` result. */
export function fromLanguageResult(r: QuickAddResult): QuickAddParsed {
  return {
    title: r.title,
    priority: r.priority ? PRIORITY_BY_NAME[r.priority] : undefined,
    tags: r.tags,
    due: r.due ? { at: r.due.time, hasTime: r.due.hasTime } : undefined,
    timeZone: r.timeZone,
    recurrence: r.recurrence
      ? {
          rrule: r.recurrence.rrule,
          anchor:
            r.recurrence.anchor === "completion" ? RecurrenceAnchor.COMPLETION : RecurrenceAnchor.SCHEDULE,
        }
      : undefined,
    reminders: r.reminders.map((x) => ("at" in x ? { at: x.at } : { beforeDueMs: x.beforeDueMs })),
    spans: r.spans.map((s) => ({ field: s.kind, start: s.start, end: s.end })),
  };
}

/** Loads the parser and adapts it to the app's {@link QuickAddParseFn}. */
export async function loadQuickAddParser(): Promise<QuickAddParseFn> {
  const m = await loadLanguage();
  return (text, options) => fromLanguageResult(m.parseQuickAdd(text, options));
}
