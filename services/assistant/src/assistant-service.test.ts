/**
 * AssistantService end to end: a real TaskService and TagService on a fresh PostgreSQL database,
 * reached through the in-process transport (auth and validation apply), with the assistant calling
 * them as the caller. Needs DATABASE_URL; without it the tests fail.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { Priority, RecurrenceAnchor, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTokenService, defineService, type Principal } from "@todo/platform";
import { createInProcessTransport } from "@todo/platform/clients";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createTagService, createTagStore, migrateTags, tagValidators } from "@todo/tag";
import {
  createTaskService,
  createTaskStore,
  createWatchHub,
  emitTaskEvent,
  etagOf,
  migrateTasks,
  taskValidators,
} from "@todo/task";
import { createAssistantService } from "./assistant-service";
import { createAssistantStore, migrateAssistant } from "./store";
import { assistantValidators } from "./validation";

/** The assistant's clock: Wednesday 12 June 2030, 11:00 in New York. */
const NOW = new Date("2030-06-12T15:00:00Z");
const ZONE = "America/New_York";

let db: TestDatabase;
let tasks: Client<typeof TaskService>;
let tags: Client<typeof TagService>;
let assistant: Client<typeof AssistantService>;
let tokens: ReturnType<typeof createTokenService>;

async function as(userId: string): Promise<CallOptions> {
  const principal: Principal = { userId, email: `${userId}@example.com`, timeZone: ZONE };
  const { token } = await tokens.issue(principal);
  return { headers: { authorization: `Bearer ${token}` } };
}

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateTasks(db.sql);
  await migrateTags(db.sql);
  await migrateAssistant(db.sql);
  await migrateAssistant(db.sql); // idempotent
  tokens = createTokenService({
    secret: "assistant-tests-secret-0123456789abcdefgh",
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: 3600,
  });
  const backend = createInProcessTransport({
    services: [
      defineService(
        TaskService,
        createTaskService({ store: createTaskStore(db.sql, emitTaskEvent, etagOf), hub: createWatchHub() }),
        taskValidators,
      ),
      defineService(TagService, createTagService({ store: createTagStore(db.sql) }), tagValidators),
    ],
    tokens,
  });
  tasks = createClient(TaskService, backend);
  tags = createClient(TagService, backend);
  const front = createInProcessTransport({
    services: [
      defineService(
        AssistantService,
        createAssistantService({ tasks, tags, store: createAssistantStore(db.sql), clock: () => NOW }),
        assistantValidators,
      ),
    ],
    tokens,
  });
  assistant = createClient(AssistantService, front);
});

afterAll(async () => {
  await db?.drop();
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
});
