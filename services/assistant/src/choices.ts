/**
 * Picking from the tasks the assistant offered ("Which one do you mean?") or listed last, by words of
 * their titles or all at once, and wording what doing one thing to several tasks came to. Pure: the
 * executor holds the choices (`ConversationContext.pending`) and carries the picks out.
 */
import { create } from "@bufbuild/protobuf";
import { type Action, ActionSchema } from "@todo/gen/todo/assistant/v1/action_pb";
import type { Outcome } from "./executor";
import type { TaskMemo } from "./store";
import { quote } from "./wording";

/** A choice by words or of all; a choice by position is read by the executor as before. */
export type WordsOrAll = { readonly words: string } | { readonly all: "all" | "both" };

/** What a choice comes to: the tasks picked, several that still match (ask again), or why none. */
export type Picked =
  | { readonly picked: readonly TaskMemo[] }
  | { readonly narrowed: readonly TaskMemo[] }
  | { readonly problem: string };

/** Words that say nothing about which task: "the one *about* *the* dentist". */
const FILLER = new Set(["the", "a", "an", "my", "one", "task", "about", "to", "for", "with", "of", "and"]);

/** The words of `text` that can tell titles apart, lower-cased. */
function significant(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== "" && !FILLER.has(w));
}

/**
 * Which of `from` the choice names. By words: the tasks whose titles contain every word given
 * (ignoring case and filler words); "both" needs exactly two choices, "all" takes every one.
 */
export function pickChoices(choice: WordsOrAll, from: readonly TaskMemo[]): Picked {
  if (from.length === 0)
    return { problem: "I'm not sure which task you mean. Name it, or ask me for a list first." };
  if ("all" in choice) {
    if (choice.all === "both" && from.length !== 2)
      return {
        problem: `There are ${from.length} to choose from, not two: pick one by its number, or say "all of them".`,
      };
    return { picked: from };
  }
  const words = significant(choice.words);
  if (words.length === 0) return { problem: `Pick a number from 1 to ${from.length}.` };
  const matching = from.filter((m) => {
    const title = significant(m.title);
    return words.every((w) => title.some((t) => t.startsWith(w)));
  });
  if (matching.length === 1) return { picked: matching };
  if (matching.length > 1) return { narrowed: matching };
  return {
    problem: `None of them matches ${quote(choice.words)}: pick a number from 1 to ${from.length}.`,
  };
}

/**
 * One outcome for the same action carried out on several tasks: the replies in order, and one action
 * of that type with every task touched. Done when any was done.
 */
export function combineOutcomes(outcomes: readonly Outcome[]): Outcome {
  const [first] = outcomes;
  if (!first || outcomes.length === 1) return first ?? { status: "not_done", reply: "Nothing to do." };
  const reply = outcomes.map((o) => o.reply).join("\n");
  const done = outcomes.filter((o) => o.status === "done");
  const actions = done.flatMap((o) => (o.action ? [o.action] : []));
  const [head] = actions;
  if (!head) return { status: done.length > 0 ? "done" : "not_done", reply };
  const action: Action = create(ActionSchema, {
    type: head.type,
    tasks: actions.flatMap((a) => a.tasks),
    summary: actions.map((a) => a.summary).join("; "),
  });
  return { status: "done", reply, action };
}
