/** Picking from the choices offered, by words of their titles or all of them. */
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { ActionSchema, ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import { TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { combineOutcomes, pickChoices } from "./choices";

const dentist = { id: "1", title: "Call the dentist" };
const mom = { id: "2", title: "call mom about Sunday" };
const report = { id: "3", title: "write the report" };

describe("pickChoices", () => {
  test("by words: the one title holding every word, ignoring case and filler words", () => {
    expect(pickChoices({ words: "dentist" }, [dentist, mom])).toEqual({ picked: [dentist] });
    expect(pickChoices({ words: "the one about Mom" }, [dentist, mom])).toEqual({ picked: [mom] });
    expect(pickChoices({ words: "call" }, [dentist, mom, report])).toEqual({ narrowed: [dentist, mom] });
    const none = pickChoices({ words: "taxes" }, [dentist, mom]);
    expect("problem" in none && none.problem).toBe(
      'None of them matches "taxes": pick a number from 1 to 2.',
    );
  });

  test('"both" needs exactly two choices; "all" takes every one; nothing offered is said', () => {
    expect(pickChoices({ all: "both" }, [dentist, mom])).toEqual({ picked: [dentist, mom] });
    const three = pickChoices({ all: "both" }, [dentist, mom, report]);
    expect("problem" in three && three.problem).toContain("not two");
    expect(pickChoices({ all: "all" }, [dentist, mom, report])).toEqual({ picked: [dentist, mom, report] });
    expect("problem" in pickChoices({ all: "all" }, [])).toBe(true);
  });
});

test("combineOutcomes: one action of the type with every task, the replies in order", () => {
  const done = (title: string) => ({
    status: "done" as const,
    reply: `Completed "${title}".`,
    action: create(ActionSchema, {
      type: ActionType.COMPLETE_TASK,
      tasks: [create(TaskSchema, { title })],
      summary: `Completed "${title}"`,
    }),
  });
  const both = combineOutcomes([done("a"), done("b")]);
  expect(both.status).toBe("done");
  expect(both.reply).toBe('Completed "a".\nCompleted "b".');
  expect(both.action?.type).toBe(ActionType.COMPLETE_TASK);
  expect(both.action?.tasks.map((t) => t.title)).toEqual(["a", "b"]);
  expect(both.action?.summary).toBe('Completed "a"; Completed "b"');
  const failed = combineOutcomes([
    { status: "not_done", reply: "no" },
    { status: "not_done", reply: "no" },
  ]);
  expect(failed).toEqual({ status: "not_done", reply: "no\nno" });
});
