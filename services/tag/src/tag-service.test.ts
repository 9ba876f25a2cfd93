import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { TagDeletedSchema, TagRenamedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import {
  TaskCompletedSchema,
  TaskCreatedSchema,
  TaskDeletedSchema,
  TaskReopenedSchema,
  TaskUpdatedSchema,
} from "@todo/gen/todo/events/v1/task_events_pb";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import {
  type CloudEvent,
  createAuthInterceptor,
  createErrorInterceptor,
  createTokenService,
  createValidationInterceptor,
  fromCloudEvent,
  toCloudEvent,
} from "@todo/platform";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { defaultTagColor } from "./colors";
import { createTagStore, migrateTags } from "./store";
import { createTagService } from "./tag-service";
import { createTaskEventsHandler } from "./task-events-consumer";
import { tagValidators } from "./validation";

const tokens = createTokenService({
  secret: "tag-service-test-secret-0123456789abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 3600,
});

const ALICE = "0190a000-0000-7000-8000-00000000000a";
const BOB = "0190b000-0000-7000-8000-00000000000b";

let db: TestDatabase;
let client: ReturnType<typeof createClient<typeof TagService>>;
let handleTaskEvent: (event: CloudEvent) => Promise<void>;
let wakes = 0;
const auth: Record<string, { headers: { authorization: string } }> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateTags(db.sql);
  await migrateTags(db.sql); // a second start applies nothing and fails nothing
  const service = createTagService({ store: createTagStore(db.sql), afterCommit: () => wakes++ });
  const transport = createRouterTransport((router) => router.service(TagService, service), {
    router: {
      interceptors: [
        createErrorInterceptor("test"),
        createAuthInterceptor(tokens, []),
        createValidationInterceptor(new Map([[TagService, tagValidators]])),
      ],
    },
  });
  client = createClient(TagService, transport);
  handleTaskEvent = createTaskEventsHandler({ sql: db.sql });
  for (const [name, userId] of [
    ["alice", ALICE],
    ["bob", BOB],
  ] as const) {
    const { token } = await tokens.issue({ userId, email: `${name}@example.com`, timeZone: "UTC" });
    auth[name] = { headers: { authorization: `Bearer ${token}` } };
  }
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await db.sql`truncate tag.tags, tag.task_tags, tag.outbox, tag.processed_events`;
});

const alice = () => auth.alice as { headers: { authorization: string } };
const bob = () => auth.bob as { headers: { authorization: string } };

async function rejection(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

function violatedFields(err: ConnectError): string[] {
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

async function allTags(opts = alice()): Promise<Tag[]> {
  return (await client.listTags({}, opts)).tags;
}

async function counts(opts = alice()): Promise<Record<string, number>> {
  return Object.fromEntries((await allTags(opts)).map((t) => [t.name, t.taskCount]));
}

async function outbox(): Promise<CloudEvent[]> {
  const rows = await db.sql<
    {
      event_id: string;
      type: string;
      subject: string;
      data_schema: string;
      data: Uint8Array;
      topic: string;
      key: string;
    }[]
  >`select event_id, type, subject, data_schema, data, topic, key from tag.outbox order by seq`;
  for (const r of rows) {
    expect(r.topic).toBe("tag-events");
    expect(r.key).toBe(r.subject);
  }
  return rows.map((r) => ({
    id: r.event_id,
    source: "todo/tag",
    type: r.type,
    subject: r.subject,
    time: new Date(),
    dataContentType: "application/protobuf",
    dataSchema: r.data_schema,
    data: new Uint8Array(r.data),
  }));
}

async function tagRowCount(): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from tag.tags`;
  return row?.n ?? -1;
}

// --- task events, as the task service would publish them -----------------------------------------

type Kind = "created" | "updated" | "completed" | "reopened" | "deleted";
const schemas = {
  created: TaskCreatedSchema,
  updated: TaskUpdatedSchema,
  completed: TaskCompletedSchema,
  reopened: TaskReopenedSchema,
  deleted: TaskDeletedSchema,
} as const;

let taskSeq = 0;
function newTaskId(): string {
  taskSeq++;
  return `0190c000-0000-7000-8000-${taskSeq.toString().padStart(12, "0")}`;
}

/** A task event for `taskId` at `version` (the etag; update_time follows it). */
function taskEvent(
  kind: Kind,
  userId: string,
  taskId: string,
  version: number,
  tags: string[],
  open = true,
): CloudEvent {
  const task: Task = create(TaskSchema, {
    id: taskId,
    title: "a task",
    status: open ? TaskStatus.OPEN : TaskStatus.COMPLETED,
    tags,
    etag: `"${version}"`,
    updateTime: timestampFromDate(new Date(Date.UTC(2030, 0, 1) + version * 1000)),
  });
  const init = kind === "updated" ? { userId, task, updateMask: { paths: ["tags"] } } : { userId, task };
  // biome-ignore lint/suspicious/noExplicitAny: one call site for five message types with the same shape
  return toCloudEvent(schemas[kind] as any, init, {
    source: "todo/task",
    type: `todo.task.v1.${kind}`,
    subject: taskId,
  });
}

// --- tests -------------------------------------------------------------------------------------------

describe("TagService", () => {
  test("every call needs a valid access token", async () => {
    const missing = await rejection(client.listTags({}));
    expect(missing.code).toBe(Code.Unauthenticated);
    const forged = await rejection(
      client.createTag({ tag: { name: "x" } }, { headers: { authorization: "Bearer not.a.token" } }),
    );
    expect(forged.code).toBe(Code.Unauthenticated);
    expect(await tagRowCount()).toBe(0);
  });

  test("creates a tag: trimmed name, default or given colour, no tasks yet", async () => {
    const { tag } = await client.createTag({ tag: { name: "  Errands  " } }, alice());
    expect(tag?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(tag?.name).toBe("Errands");
    expect(tag?.color).toBe(defaultTagColor("errands"));
    expect(tag?.color).toMatch(/^#[0-9a-f]{6}$/);
    expect(tag?.taskCount).toBe(0);
    expect(tag?.createTime).toBeDefined();
    expect(tag?.updateTime).toBeDefined();
    const colored = await client.createTag({ tag: { name: "Work", color: "#3B82F6" } }, alice());
    expect(colored.tag?.color).toBe("#3b82f6");
    expect((await allTags()).map((t) => t.name)).toEqual(["Errands", "Work"]);
    // Creating is not an event other services need.
    expect(await outbox()).toEqual([]);
  });

  test("bad input is INVALID_ARGUMENT naming the field, and nothing is written", async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => client.createTag({ tag: { name: "   " } }, alice()), "tag.name"],
      [() => client.createTag({ tag: { name: "a,b" } }, alice()), "tag.name"],
      [() => client.createTag({ tag: { name: "x".repeat(65) } }, alice()), "tag.name"],
      [() => client.createTag({ tag: { name: "ok", color: "blue" } }, alice()), "tag.color"],
      [() => client.createTag({}, alice()), "tag"],
      [() => client.updateTag({ tag: { name: "x" } }, alice()), "tag.id"],
      [
        () =>
          client.updateTag(
            {
              tag: { id: "0190a000-0000-7000-8000-000000000001", name: "x" },
              updateMask: { paths: ["task_count"] },
            },
            alice(),
          ),
        "update_mask",
      ],
      [
        () =>
          client.updateTag(
            {
              tag: { id: "0190a000-0000-7000-8000-000000000001", color: "#12345" },
              updateMask: { paths: ["color"] },
            },
            alice(),
          ),
        "tag.color",
      ],
      [() => client.deleteTag({}, alice()), "id"],
      [() => client.listTags({ pageSize: -1 }, alice()), "page_size"],
      [() => client.listTags({ pageToken: "garbage" }, alice()), "page_token"],
    ];
    for (const [call, field] of cases) {
      const err = await rejection(call());
      expect(err.code).toBe(Code.InvalidArgument);
      expect(violatedFields(err)).toContain(field);
    }
    expect((await client.createTag({ tag: { name: "x".repeat(64) } }, alice())).tag?.name.length).toBe(64);
    expect(await tagRowCount()).toBe(1);
  });

  test("names are unique per user ignoring case: ALREADY_EXISTS", async () => {
    const { tag: work } = await client.createTag({ tag: { name: "Work" } }, alice());
    const { tag: home } = await client.createTag({ tag: { name: "home" } }, alice());
    const dup = await rejection(client.createTag({ tag: { name: "WORK" } }, alice()));
    expect(dup.code).toBe(Code.AlreadyExists);
    const clash = await rejection(
      client.updateTag({ tag: { id: home?.id, name: "work" }, updateMask: { paths: ["name"] } }, alice()),
    );
    expect(clash.code).toBe(Code.AlreadyExists);
    expect((await allTags()).map((t) => `${t.id} ${t.name}`)).toEqual([
      `${home?.id} home`,
      `${work?.id} Work`,
    ]);
    expect(await outbox()).toEqual([]);
    // Another user may use the same name.
    expect((await client.createTag({ tag: { name: "work" } }, bob())).tag?.name).toBe("work");
  });

  test("lists by name ignoring case, page by page, only the caller's tags", async () => {
    const names = ["delta", "Alpha", "charlie", "Bravo", "echo"];
    for (const name of names) await client.createTag({ tag: { name } }, alice());
    await client.createTag({ tag: { name: "bob's own" } }, bob());
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await client.listTags({ pageSize: 2, pageToken }, alice());
      expect(page.tags.length).toBeLessThanOrEqual(2);
      seen.push(...page.tags.map((t) => t.name));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "" && pages < 10);
    expect(seen).toEqual(["Alpha", "Bravo", "charlie", "delta", "echo"]);
    expect(pages).toBe(3);
    expect((await allTags(bob())).map((t) => t.name)).toEqual(["bob's own"]);
    // A page token stays valid while tags are added before and after it.
    const first = await client.listTags({ pageSize: 2 }, alice());
    await client.createTag({ tag: { name: "aardvark" } }, alice());
    await client.createTag({ tag: { name: "zulu" } }, alice());
    const rest = await client.listTags({ pageToken: first.nextPageToken }, alice());
    expect(rest.tags.map((t) => t.name)).toEqual(["charlie", "delta", "echo", "zulu"]);
    expect(rest.nextPageToken).toBe("");
  });

  test("UpdateTag honours the mask; a rename enqueues TagRenamed in the same transaction", async () => {
    const { tag } = await client.createTag({ tag: { name: "work", color: "#111111" } }, alice());
    const id = tag?.id as string;
    const recolored = await client.updateTag(
      { tag: { id, name: "ignored", color: "#222222" }, updateMask: { paths: ["color"] } },
      alice(),
    );
    expect(recolored.tag).toMatchObject({ id, name: "work", color: "#222222" });
    expect(await outbox()).toEqual([]);

    const wakesBefore = wakes;
    const renamed = await client.updateTag(
      { tag: { id, name: " Job ", color: "#333333" }, updateMask: { paths: ["name"] } },
      alice(),
    );
    expect(renamed.tag).toMatchObject({ id, name: "Job", color: "#222222" });
    expect(wakes).toBe(wakesBefore + 1);
    const events = await outbox();
    expect(events.length).toBe(1);
    expect(events[0]?.type).toBe("todo.tag.v1.renamed");
    expect(events[0]?.subject).toBe(id);
    expect(fromCloudEvent(TagRenamedSchema, events[0] as CloudEvent)).toMatchObject({
      userId: ALICE,
      tagId: id,
      oldName: "work",
      newName: "Job",
    });

    // An empty mask replaces both; an empty colour means the name's default colour.
    const both = await client.updateTag({ tag: { id, name: "job", color: "" } }, alice());
    expect(both.tag).toMatchObject({ id, name: "job", color: defaultTagColor("job") });
    expect((await outbox()).length).toBe(2);
  });

  test("DeleteTag removes the tag and enqueues TagDeleted", async () => {
    const { tag } = await client.createTag({ tag: { name: "Old" } }, alice());
    await client.deleteTag({ id: tag?.id as string }, alice());
    expect(await allTags()).toEqual([]);
    const events = await outbox();
    expect(events.map((e) => e.type)).toEqual(["todo.tag.v1.deleted"]);
    expect(fromCloudEvent(TagDeletedSchema, events[0] as CloudEvent)).toMatchObject({
      userId: ALICE,
      tagId: tag?.id,
      name: "Old",
    });
    const again = await rejection(client.deleteTag({ id: tag?.id as string }, alice()));
    expect(again.code).toBe(Code.NotFound);
  });

  test("another user's tag id is NOT_FOUND and nothing changes", async () => {
    const { tag } = await client.createTag({ tag: { name: "Private", color: "#abcdef" } }, alice());
    const id = tag?.id as string;
    const before = await allTags();
    const update = await rejection(
      client.updateTag({ tag: { id, name: "Mine now", color: "#000000" } }, bob()),
    );
    expect(update.code).toBe(Code.NotFound);
    const del = await rejection(client.deleteTag({ id }, bob()));
    expect(del.code).toBe(Code.NotFound);
    expect(await allTags()).toEqual(before);
    expect(await allTags(bob())).toEqual([]);
    expect(await outbox()).toEqual([]);
    // An id that cannot exist is simply not found, too.
    expect((await rejection(client.deleteTag({ id: "nope" }, alice()))).code).toBe(Code.NotFound);
    expect((await rejection(client.updateTag({ tag: { id: "nope", name: "x" } }, alice()))).code).toBe(
      Code.NotFound,
    );
  });
});

describe("task counts from task-events", () => {
  test("counts the caller's open tasks per tag and adds unknown tags implicitly", async () => {
    await client.createTag({ tag: { name: "Work" } }, alice());
    const t1 = newTaskId();
    const t2 = newTaskId();
    await handleTaskEvent(taskEvent("created", ALICE, t1, 1, ["work", "Home"]));
    await handleTaskEvent(taskEvent("created", ALICE, t2, 1, ["WORK"]));
    await handleTaskEvent(taskEvent("created", BOB, newTaskId(), 1, ["work"]));
    expect(await counts()).toEqual({ Home: 1, Work: 2 });
    expect(await counts(bob())).toEqual({ work: 1 });
    const home = (await allTags()).find((t) => t.name === "Home");
    expect(home?.color).toBe(defaultTagColor("home"));

    // Completed tasks do not count; reopened ones do again.
    await handleTaskEvent(taskEvent("completed", ALICE, t2, 2, ["WORK"], false));
    expect(await counts()).toEqual({ Home: 1, Work: 1 });
    await handleTaskEvent(taskEvent("reopened", ALICE, t2, 3, ["WORK"]));
    expect(await counts()).toEqual({ Home: 1, Work: 2 });
  });

  test("an implicit tag disappears when no task carries it; an explicit one stays", async () => {
    await client.createTag({ tag: { name: "Work" } }, alice());
    const t1 = newTaskId();
    await handleTaskEvent(taskEvent("created", ALICE, t1, 1, ["work", "ghost"]));
    expect(await counts()).toEqual({ Work: 1, ghost: 1 });
    await handleTaskEvent(taskEvent("updated", ALICE, t1, 2, ["work"]));
    expect(await counts()).toEqual({ Work: 1 });
    await handleTaskEvent(taskEvent("updated", ALICE, t1, 3, ["ghost"]));
    await handleTaskEvent(taskEvent("deleted", ALICE, t1, 3, ["ghost"]));
    expect(await counts()).toEqual({ Work: 0 });
  });

  test("an implicit tag stays (with no count) while only completed tasks carry it", async () => {
    const t1 = newTaskId();
    await handleTaskEvent(taskEvent("created", ALICE, t1, 1, ["someday"]));
    await handleTaskEvent(taskEvent("completed", ALICE, t1, 2, ["someday"], false));
    expect(await counts()).toEqual({ someday: 0 });
    await handleTaskEvent(taskEvent("deleted", ALICE, t1, 2, ["someday"], false));
    expect(await counts()).toEqual({});
  });

  test("an implicit tag edited through the API becomes explicit and stays", async () => {
    const t1 = newTaskId();
    await handleTaskEvent(taskEvent("created", ALICE, t1, 1, ["later"]));
    const [implicit] = await allTags();
    await client.updateTag(
      { tag: { id: implicit?.id, color: "#010203" }, updateMask: { paths: ["color"] } },
      alice(),
    );
    await handleTaskEvent(taskEvent("updated", ALICE, t1, 2, []));
    expect(await counts()).toEqual({ later: 0 });
  });

  test("stale and late events are ignored; redelivery changes nothing", async () => {
    const t1 = newTaskId();
    const v3 = taskEvent("updated", ALICE, t1, 3, ["new"]);
    await handleTaskEvent(taskEvent("created", ALICE, t1, 1, ["old"]));
    await handleTaskEvent(v3);
    await handleTaskEvent(taskEvent("updated", ALICE, t1, 2, ["stale"]));
    expect(await counts()).toEqual({ new: 1 });
    await handleTaskEvent(v3);
    expect(await counts()).toEqual({ new: 1 });
    const [processed] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from tag.processed_events where event_id = ${v3.id}`;
    expect(processed?.n).toBe(1);
    // A deleted task stays deleted whatever arrives after.
    await handleTaskEvent(taskEvent("deleted", ALICE, t1, 3, ["new"]));
    await handleTaskEvent(taskEvent("updated", ALICE, t1, 9, ["zombie"]));
    expect(await counts()).toEqual({});
  });

  test("a rename keeps the count and a stale event cannot leave a ghost behind", async () => {
    const { tag } = await client.createTag({ tag: { name: "work" } }, alice());
    const t1 = newTaskId();
    await handleTaskEvent(taskEvent("created", ALICE, t1, 1, ["work"]));
    await client.updateTag({ tag: { id: tag?.id, name: "Job" }, updateMask: { paths: ["name"] } }, alice());
    expect(await counts()).toEqual({ Job: 1 });
    // An update the task service made before it saw the rename is still in flight...
    await handleTaskEvent(taskEvent("updated", ALICE, t1, 2, ["work"]));
    expect(await counts()).toEqual({ Job: 0, work: 1 });
    // ...and the task service's rename of the task follows it: the implicit "work" goes away.
    await handleTaskEvent(taskEvent("updated", ALICE, t1, 3, ["Job"]));
    expect(await counts()).toEqual({ Job: 1 });
  });

  test("deleting a tag drops it from the counts at once", async () => {
    const { tag } = await client.createTag({ tag: { name: "gone" } }, alice());
    await handleTaskEvent(taskEvent("created", ALICE, newTaskId(), 1, ["gone", "kept"]));
    await client.deleteTag({ id: tag?.id as string }, alice());
    expect(await counts()).toEqual({ kept: 1 });
  });
});
