/**
 * AssistantService end to end, offline (no language model): a real TaskService and TagService on a
 * fresh PostgreSQL database, reached through the in-process transport (auth and validation apply),
 * with the assistant calling them as the caller. Needs DATABASE_URL; without it the tests fail.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { Priority, RecurrenceAnchor, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  type AssistantTestStack,
  createAssistantTestStack,
  ASSISTANT_TEST_ZONE as ZONE,
} from "@todo/testkit";
import { assistantRequestId } from "./executor";
import { migrateAssistant } from "./store";

/** The assistant's clock: Wednesday 12 June 2030, 11:00 in New York. */
const NOW = new Date("2030-06-12T15:00:00Z");

let stack: AssistantTestStack;
let tasks: Client<typeof TaskService>;
let tags: Client<typeof TagService>;
let assistant: Client<typeof AssistantService>;

function as(userId: string): Promise<CallOptions> {
  return stack.as(userId);
}

beforeAll(async () => {
  stack = await createAssistantTestStack();
  await migrateAssistant(stack.db.sql); // idempotent
  tasks = stack.tasks;
  tags = stack.tags;
  assistant = stack.assistant({ clock: () => NOW });
});

afterAll(async () => {
  await stack?.close();
});

async function expectCode(promise: Promise<unknown>, code: Code): Promise<void> {
  try {
    await promise;
  } catch (e) {
    expect(ConnectError.from(e).code).toBe(code);
    return;
  }
  throw new Error(`expected ${Code[code]}`);
}

describe("AssistantService.Chat", () => {
  test("adds tasks with due time, reminder, priority, tags and recurrence", async () => {
    const me = await as(crypto.randomUUID());
    const res = await assistant.chat({ message: "remind me to call mom tomorrow at 6pm" }, me);
    expect(res.conversationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.actions.map((a) => a.type)).toEqual([ActionType.CREATE_TASK]);
    const id = res.actions[0]?.tasks[0]?.id ?? "";
    const { task } = await tasks.getTask({ id }, me);
    expect(task?.title).toBe("call mom");
    expect(task?.timeZone).toBe(ZONE);
    expect(task?.dueTime && timestampDate(task.dueTime).toISOString()).toBe("2030-06-13T22:00:00.000Z");
    expect(task?.reminders).toHaveLength(1);

    const milk = await assistant.chat({ message: "add buy milk #errands !high every Monday" }, me);
    const m = milk.actions[0]?.tasks[0];
    expect(m?.title).toBe("buy milk");
    expect(m?.priority).toBe(Priority.HIGH);
    expect(m?.tags).toEqual(["errands"]);
    expect(m?.recurrence?.rrule).toBe("FREQ=WEEKLY;BYDAY=MO");
    expect(m?.recurrence?.anchor).toBe(RecurrenceAnchor.SCHEDULE);

    const plants = await assistant.chat({ message: "water plants every 3 days after I finish" }, me);
    expect(plants.actions[0]?.tasks[0]?.recurrence?.anchor).toBe(RecurrenceAnchor.COMPLETION);
  });

  test("lists what is due this week, and completes by name", async () => {
    const me = await as(crypto.randomUUID());
    await assistant.chat({ message: "add call mom friday at 5pm" }, me);
    await assistant.chat({ message: "add renew passport on July 20" }, me);
    const week = await assistant.chat({ message: "what's due this week?" }, me);
    expect(week.actions[0]?.type).toBe(ActionType.LIST_TASKS);
    expect(week.actions[0]?.tasks.map((t) => t.title)).toEqual(["call mom"]);
    expect(week.reply).toContain("call mom");

    const done = await assistant.chat({ message: "mark call mom as done" }, me);
    expect(done.actions[0]?.type).toBe(ActionType.COMPLETE_TASK);
    const id = done.actions[0]?.tasks[0]?.id ?? "";
    expect((await tasks.getTask({ id }, me)).task?.status).toBe(TaskStatus.COMPLETED);
    const after = await assistant.chat({ message: "what's due this week?" }, me);
    expect(after.actions[0]?.tasks).toHaveLength(0);
  });

  test("an ambiguous delete asks, changes nothing, and the choice is carried out", async () => {
    const me = await as(crypto.randomUUID());
    const first = await assistant.chat({ message: "add write report draft" }, me);
    await assistant.chat({ message: "add write report final", conversationId: first.conversationId }, me);
    const ask = await assistant.chat(
      { message: "delete the report", conversationId: first.conversationId },
      me,
    );
    expect(ask.actions.map((a) => a.type)).toEqual([ActionType.CLARIFY]);
    const offered = ask.actions[0]?.tasks.map((t) => t.title) ?? [];
    expect([...offered].sort()).toEqual(["write report draft", "write report final"]);
    expect((await tasks.listTasks({}, me)).tasks).toHaveLength(2);

    const pick = await assistant.chat(
      { message: "the second one", conversationId: first.conversationId },
      me,
    );
    expect(pick.actions[0]?.type).toBe(ActionType.DELETE_TASK);
    expect(pick.actions[0]?.tasks[0]?.title).toBe(offered[1] ?? "");
    const left = (await tasks.listTasks({}, me)).tasks.map((t) => t.title);
    expect(left).toEqual([offered[0] ?? ""]);
  });

  test("follow-ups in one conversation: make it urgent, no, Monday, remind me before, tag it", async () => {
    const me = await as(crypto.randomUUID());
    const add = await assistant.chat({ message: "add dentist appointment friday 3pm" }, me);
    const conversationId = add.conversationId;
    const id = add.actions[0]?.tasks[0]?.id ?? "";
    await assistant.chat({ message: "make it urgent", conversationId }, me);
    expect((await tasks.getTask({ id }, me)).task?.priority).toBe(Priority.URGENT);

    await assistant.chat({ message: "no, Monday at 10am", conversationId }, me);
    const moved = (await tasks.getTask({ id }, me)).task;
    expect(moved?.dueTime && timestampDate(moved.dueTime).toISOString()).toBe("2030-06-17T14:00:00.000Z");

    await assistant.chat({ message: "remind me 30 minutes before", conversationId }, me);
    await assistant.chat({ message: "tag it #health", conversationId }, me);
    const final = (await tasks.getTask({ id }, me)).task;
    expect(final?.reminders[0]?.trigger.case).toBe("beforeDue");
    expect(final?.tags).toEqual(["health"]);

    await assistant.chat({ message: "move the dentist to Friday 3pm", conversationId }, me);
    const back = (await tasks.getTask({ id }, me)).task;
    expect(back?.dueTime && timestampDate(back.dueTime).toISOString()).toBe("2030-06-14T19:00:00.000Z");
  });

  test("renames a tag through TagService", async () => {
    const me = await as(crypto.randomUUID());
    await tags.createTag({ tag: { name: "work" } }, me);
    const res = await assistant.chat({ message: "rename tag work to office" }, me);
    expect(res.actions[0]?.type).toBe(ActionType.RENAME_TAG);
    expect((await tags.listTags({}, me)).tags.map((t) => t.name)).toEqual(["office"]);
  });

  test("says so and shows examples when it understands nothing", async () => {
    const me = await as(crypto.randomUUID());
    await assistant.chat({ message: "add something to keep" }, me);
    const res = await assistant.chat({ message: "the weather is lovely" }, me);
    expect(res.actions).toHaveLength(0);
    expect(res.reply).toContain("didn't understand");
    expect(res.reply).toContain("what's due this week?");
    expect((await tasks.listTasks({}, me)).tasks).toHaveLength(1);
  });

  test("another user's conversation is NOT_FOUND and is left alone; bad input is INVALID_ARGUMENT", async () => {
    const alice = await as(crypto.randomUUID());
    const bob = await as(crypto.randomUUID());
    const a = await assistant.chat({ message: "add alice's secret plan" }, alice);
    await expectCode(
      assistant.chat({ message: "delete it", conversationId: a.conversationId }, bob),
      Code.NotFound,
    );
    expect((await tasks.listTasks({}, alice)).tasks).toHaveLength(1);
    await expectCode(assistant.chat({ message: "   " }, alice), Code.InvalidArgument);
    await expectCode(assistant.chat({ message: "x".repeat(2001) }, alice), Code.InvalidArgument);
    await expectCode(assistant.chat({ message: "hi", conversationId: "nope" }, alice), Code.InvalidArgument);
    await expectCode(assistant.chat({ message: "list my tasks" }), Code.Unauthenticated);
    const again = await assistant.chat({ message: "delete it", conversationId: a.conversationId }, alice);
    expect(again.actions[0]?.type).toBe(ActionType.DELETE_TASK);
  });
  test('"remind me to X at T" creates the task with a reminder at T, and the reply says so', async () => {
    const me = await as(crypto.randomUUID());
    const trash = await assistant.chat({ message: "remind me to take out the trash at 8pm" }, me);
    const t = trash.actions[0]?.tasks[0];
    expect(t?.title).toBe("take out the trash");
    // 20:00 in New York today; the reminder fires at the due time, so at 20:00
    expect(t?.dueTime && timestampDate(t.dueTime).toISOString()).toBe("2030-06-13T00:00:00.000Z");
    expect(t?.reminders).toHaveLength(1);
    expect(t?.reminders[0]?.trigger.case).toBe("beforeDue");
    expect(t?.reminders[0]?.trigger.value).toMatchObject({ seconds: 0n });
    expect(trash.reply).toContain("reminder at the due time");

    // a day without a time: the reminder fires at 09:00 that day, not at 23:59
    const bank = await assistant.chat({ message: "remind me to call the bank on monday" }, me);
    const b = bank.actions[0]?.tasks[0];
    expect(b?.title).toBe("call the bank");
    const trigger = b?.reminders[0]?.trigger;
    expect(trigger?.case).toBe("at");
    expect(trigger?.case === "at" && timestampDate(trigger.value).toISOString()).toBe(
      "2030-06-17T13:00:00.000Z",
    );
    expect(bank.reply).toContain("reminder Mon, Jun 17, 9:00 AM");
  });

  test("schedule a call, find tasks about a word, got it done", async () => {
    const me = await as(crypto.randomUUID());
    const call = await assistant.chat({ message: "schedule a call with Tom on Friday at 3pm" }, me);
    expect(call.actions[0]?.type).toBe(ActionType.CREATE_TASK);
    const c = call.actions[0]?.tasks[0];
    expect(c?.title).toBe("call with Tom");
    expect(c?.dueTime && timestampDate(c.dueTime).toISOString()).toBe("2030-06-14T19:00:00.000Z");

    await tasks.createTask({ task: { title: "Dentist appointment" } }, me);
    await tasks.createTask({ task: { title: "laundry" } }, me);
    const found = await assistant.chat({ message: "find tasks about the dentist" }, me);
    expect(found.actions[0]?.type).toBe(ActionType.LIST_TASKS);
    expect(found.actions[0]?.tasks.map((t) => t.title)).toEqual(["Dentist appointment"]);

    const done = await assistant.chat({ message: "got the laundry done" }, me);
    expect(done.actions[0]?.type).toBe(ActionType.COMPLETE_TASK);
    expect(done.actions[0]?.tasks[0]?.title).toBe("laundry");
    expect(done.actions[0]?.tasks[0]?.status).toBe(TaskStatus.COMPLETED);
  });

  test('one task is one task: no "1 tasks" in replies or summaries', async () => {
    const me = await as(crypto.randomUUID());
    await assistant.chat({ message: "add call mom friday at 5pm" }, me);
    const one = await assistant.chat({ message: "what's due this week?" }, me);
    expect(one.reply).toStartWith("You have 1 task due this week (Mon 10 – Sun 16 Jun):");
    expect(one.actions[0]?.summary).toBe("Listed 1 task due this week (Mon 10 – Sun 16 Jun)");
    await assistant.chat({ message: "add call dad friday at 6pm" }, me);
    const two = await assistant.chat({ message: "what's due this week?" }, me);
    expect(two.reply).toStartWith("You have 2 tasks due this week (Mon 10 – Sun 16 Jun):");
    const none = await assistant.chat({ message: "anything overdue?" }, me);
    expect(none.reply).toBe("You have no overdue tasks.");
    const reminder = await assistant.chat({ message: "add a reminder to call mom 1 hour before" }, me);
    expect(reminder.reply).toBe('Added a reminder to "call mom" 1 hour before it is due.');
  });

  test('"this week" starts on the user\'s week start from the access token', async () => {
    const sunday = await stack.as(crypto.randomUUID(), 7);
    await assistant.chat({ message: "add call mom friday at 5pm" }, sunday);
    const week = await assistant.chat({ message: "what's due this week?" }, sunday);
    expect(week.reply).toStartWith("You have 1 task due this week (Sun 9 – Sat 15 Jun):");
  });

  test("a Chat retried after a failure does not create its tasks twice", async () => {
    const me = await as(crypto.randomUUID());
    const { conversationId } = await assistant.chat({ message: "list my tasks" }, me);
    // The turn's actions run, then recording the turn fails once (as if the process died there).
    let failures = 1;
    const flaky = stack.assistant({
      clock: () => NOW,
      store: {
        ...stack.store,
        async record(...args) {
          if (failures-- > 0)
            throw new Error("simulated crash after the actions, before the turn is recorded");
          return stack.store.record(...args);
        },
      },
    });
    const message = "add buy stamps; add post the letter";
    let failed = false;
    await flaky.chat({ conversationId, message }, me).catch(() => {
      failed = true;
    });
    expect(failed).toBe(true);
    const first = (await tasks.listTasks({ orderBy: "create_time" }, me)).tasks;
    expect(first.map((t) => t.title)).toEqual(["buy stamps", "post the letter"]);

    const retry = await flaky.chat({ conversationId, message }, me);
    expect(retry.actions.map((a) => a.tasks[0]?.id)).toEqual(first.map((t) => t.id));
    expect((await tasks.listTasks({}, me)).tasks).toHaveLength(2);

    // the next, different message gets a turn of its own: a new task
    const next = await flaky.chat({ conversationId, message: "add buy envelopes" }, me);
    expect(next.actions[0]?.tasks[0]?.title).toBe("buy envelopes");
    expect((await tasks.listTasks({}, me)).tasks).toHaveLength(3);
  });

  test("request ids are deterministic, distinct per turn, position and message, and short enough", () => {
    const id = "0190f3a2-7b3c-7def-8123-456789abcdef";
    const a = assistantRequestId(id, 3, 0, "add buy milk");
    expect(assistantRequestId(id, 3, 0, "add buy milk")).toBe(a);
    expect(
      new Set([
        a,
        assistantRequestId(id, 4, 0, "add buy milk"),
        assistantRequestId(id, 3, 1, "add buy milk"),
        assistantRequestId(id, 3, 0, "add buy eggs"),
      ]).size,
    ).toBe(4);
    expect(assistantRequestId(id, 99_999, 99, "x".repeat(2000)).length).toBeLessThanOrEqual(100);
  });
});
