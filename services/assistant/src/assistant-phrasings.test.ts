/**
 * AssistantService end to end, offline, for the forms added for issue 13: a priority word before the
 * noun of an add, answering "Which one do you mean?" by words or with "both", what was completed on a
 * day, questions by priority, weeks that say which days they cover, "a"/"an", and a date-only move
 * that keeps the time of day. A real TaskService and TagService on a fresh PostgreSQL database (needs
 * DATABASE_URL; without it the tests fail).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { CallOptions, Client } from "@connectrpc/connect";
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { Priority, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { type AssistantTestStack, createAssistantTestStack } from "@todo/testkit";

/** The assistant's clock: Wednesday 12 June 2030, 11:00 in New York. */
const NOW = new Date("2030-06-12T15:00:00Z");

let stack: AssistantTestStack;
let tasks: Client<typeof TaskService>;
let assistant: Client<typeof AssistantService>;

beforeAll(async () => {
  stack = await createAssistantTestStack();
  tasks = stack.tasks;
  assistant = stack.assistant({ clock: () => NOW });
});

afterAll(async () => {
  await stack?.close();
});

function me(): Promise<CallOptions> {
  return stack.as(crypto.randomUUID());
}

const iso = (t: { dueTime?: Parameters<typeof timestampDate>[0] } | undefined) =>
  t?.dueTime ? timestampDate(t.dueTime).toISOString() : undefined;

describe("forms people use", () => {
  test('"add an important task to …" and "create a low priority task …" set the priority', async () => {
    const user = await me();
    const bank = await assistant.chat({ message: "add an important task to call the bank tomorrow" }, user);
    const b = bank.actions[0]?.tasks[0];
    expect(b?.title).toBe("call the bank");
    expect(b?.priority).toBe(Priority.HIGH);
    expect(bank.reply).toBe('Created "call the bank", due Thu, Jun 13, 11:59 PM, high.');
    const photos = await assistant.chat({ message: "create a low priority task to sort the photos" }, user);
    expect(photos.actions[0]?.tasks[0]?.priority).toBe(Priority.LOW);
    const rent = await assistant.chat({ message: "add an urgent reminder to pay rent on friday" }, user);
    const r = rent.actions[0]?.tasks[0];
    expect([r?.title, r?.priority, r?.reminders.length]).toEqual(["pay rent", Priority.URGENT, 1]);
  });

  test('"Which one?" answered by words of a title, then with "both"', async () => {
    const user = await me();
    const { conversationId } = await assistant.chat({ message: "add call the dentist" }, user);
    await assistant.chat({ message: "add call mom", conversationId }, user);
    const ask = await assistant.chat({ message: "complete call", conversationId }, user);
    expect(ask.actions.map((a) => a.type)).toEqual([ActionType.CLARIFY]);
    const pick = await assistant.chat({ message: "the one about the dentist", conversationId }, user);
    expect(pick.actions[0]?.type).toBe(ActionType.COMPLETE_TASK);
    expect(pick.actions[0]?.tasks.map((t) => t.title)).toEqual(["call the dentist"]);
    const open = (await tasks.listTasks({ filter: "status = OPEN" }, user)).tasks.map((t) => t.title);
    expect(open).toEqual(["call mom"]);

    await assistant.chat({ message: "add call dad", conversationId }, user);
    const again = await assistant.chat({ message: "make call urgent", conversationId }, user);
    expect(again.actions.map((a) => a.type)).toEqual([ActionType.CLARIFY]);
    const both = await assistant.chat({ message: "both", conversationId }, user);
    expect(both.actions.map((a) => a.type)).toEqual([ActionType.UPDATE_TASK]);
    expect(both.actions[0]?.tasks.map((t) => t.title).sort()).toEqual(["call dad", "call mom"]);
    const urgent = (await tasks.listTasks({ filter: "priority = URGENT" }, user)).tasks;
    expect(urgent).toHaveLength(2);
    // nothing waits for an answer any more
    const late = await assistant.chat({ message: "both", conversationId }, user);
    expect(late.actions).toHaveLength(0);
  });

  test('"what did I finish today?" lists by completion time, latest first', async () => {
    const user = await me();
    const live = stack.assistant(); // completion times are the task service's own clock
    const first = (await tasks.createTask({ task: { title: "file the receipts" } }, user)).task;
    const second = (await tasks.createTask({ task: { title: "water the plants" } }, user)).task;
    await tasks.createTask({ task: { title: "still open" } }, user);
    await tasks.completeTask({ id: first?.id ?? "" }, user);
    await Bun.sleep(5);
    await tasks.completeTask({ id: second?.id ?? "" }, user);
    const done = await live.chat({ message: "what did I finish today?" }, user);
    expect(done.actions[0]?.type).toBe(ActionType.LIST_TASKS);
    expect(done.actions[0]?.tasks.map((t) => t.title)).toEqual(["water the plants", "file the receipts"]);
    expect(done.reply).toStartWith("You have 2 tasks completed today:");
    expect(done.reply).toContain("completed ");
  });

  test("questions by priority: urgent exactly, important as high or urgent", async () => {
    const user = await me();
    const due = (at: string) => timestampFromDate(new Date(at));
    const made: [string, Priority, string][] = [
      ["u", Priority.URGENT, "2030-06-13T16:00:00Z"],
      ["h", Priority.HIGH, "2030-06-14T16:00:00Z"],
      ["h later", Priority.HIGH, "2030-07-01T16:00:00Z"],
      ["low", Priority.LOW, "2030-06-13T16:00:00Z"],
    ];
    for (const [title, priority, at] of made)
      await tasks.createTask({ task: { title, priority, dueTime: due(at) } }, user);
    const urgent = await assistant.chat({ message: "what's urgent?" }, user);
    expect(urgent.actions[0]?.tasks.map((t) => t.title)).toEqual(["u"]);
    const important = await assistant.chat({ message: "anything important due this week?" }, user);
    expect(important.actions[0]?.tasks.map((t) => t.title)).toEqual(["u", "h"]);
    expect(important.reply).toStartWith("You have 2 important tasks due this week (Mon 10 – Sun 16 Jun):");
    const high = await assistant.chat({ message: "show my high priority tasks" }, user);
    expect(high.actions[0]?.tasks.map((t) => t.title)).toEqual(["h", "h later"]);
    expect(high.reply).toStartWith("You have 2 open high-priority tasks:");
  });

  test('"move call mom to friday" keeps 18:00; a date-only task stays date-only; "a completed task"', async () => {
    const user = await me();
    const mom = await assistant.chat({ message: "add call mom tomorrow at 6pm" }, user);
    expect(iso(mom.actions[0]?.tasks[0])).toBe("2030-06-13T22:00:00.000Z");
    const moved = await assistant.chat({ message: "move call mom to friday" }, user);
    expect(iso(moved.actions[0]?.tasks[0])).toBe("2030-06-14T22:00:00.000Z");
    expect(moved.reply).toBe('Updated "call mom": due Fri, Jun 14, 6:00 PM.');

    await assistant.chat({ message: "add renew passport on July 20" }, user);
    const passport = await assistant.chat({ message: "move renew passport to friday" }, user);
    expect(iso(passport.actions[0]?.tasks[0])).toBe("2030-06-15T03:59:00.000Z");

    const none = await assistant.chat({ message: "reopen the taxes" }, user);
    expect(none.reply).toBe('I couldn\'t find a completed task matching "taxes".');
    const open = await assistant.chat({ message: "complete the taxes" }, user);
    expect(open.reply).toBe('I couldn\'t find an open task matching "taxes".');
    const statuses = (await tasks.listTasks({}, user)).tasks.map((t) => t.status);
    expect(statuses.every((s) => s === TaskStatus.OPEN)).toBe(true);
  });
});
