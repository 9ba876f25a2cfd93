import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { TagDeletedSchema, TagRenamedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { TaskUpdatedSchema } from "@todo/gen/todo/events/v1/task_events_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import {
  type CloudEvent,
  createAuthInterceptor,
  createTokenService,
  EventTypes,
  fromCloudEvent,
  silentLogger as quiet,
  Topics,
  toCloudEvent,
} from "@todo/platform";
import {
  createMemoryBus,
  ensureOutbox,
  ensureProcessedEvents,
  type OutboxRelay,
  startOutboxRelay,
} from "@todo/platform/events";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createTagService, createTagStore, createTaskEventsHandler, migrateTags } from "@todo/tag";
import {
  createTagEventsHandler,
  emitTaskEvents,
  migrateTasks,
  rowToTask,
  TASK_COLUMNS,
  type TaskRow,
} from "@todo/task";

const ALICE = "0190a000-0000-7000-8000-00000000000a";
const BOB = "0190b000-0000-7000-8000-00000000000b";

let db: TestDatabase;
let handle: (event: CloudEvent) => Promise<void>;
let wakes = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateTasks(db.sql);
  await ensureOutbox(db.sql, "task");
  await ensureProcessedEvents(db.sql, "task");
  handle = createTagEventsHandler({ sql: db.sql, afterCommit: () => wakes++ });
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await db.sql`truncate task.tasks, task.outbox, task.processed_events`;
});

let taskSeq = 0;
/** Inserts a task row directly, as the task service would have stored it. */
async function insertTask(userId: string, tags: string[]): Promise<string> {
  taskSeq++;
  const id = `0190d000-0000-7000-8000-${taskSeq.toString().padStart(12, "0")}`;
  await db.sql`
    insert into task.tasks (id, user_id, title, tags, tag_keys, time_zone, create_time, update_time)
    values (${id}, ${userId}, ${`task ${taskSeq}`}, ${tags}::text[], ${tags.map((t) => t.toLowerCase())}::text[],
      'UTC', now() - interval '1 hour', now() - interval '1 hour')`;
  return id;
}

async function task(id: string): Promise<TaskRow> {
  const [row] = await db.sql.unsafe<TaskRow[]>(`select ${TASK_COLUMNS} from task.tasks where id = $1`, [id]);
  if (!row) throw new Error(`no task ${id}`);
  return row;
}

async function outboxEvents(): Promise<
  { topic: string; key: string; type: string; data_schema: string; data: Uint8Array }[]
> {
  return db.sql`select topic, key, type, data_schema, data from task.outbox where topic = 'task-events' order by seq`;
}

function renamed(userId: string, oldName: string, newName: string): CloudEvent {
  return toCloudEvent(
    TagRenamedSchema,
    { userId, tagId: "0190e000-0000-7000-8000-000000000001", oldName, newName },
    { source: "todo/tag", type: EventTypes.tagRenamed, subject: "0190e000-0000-7000-8000-000000000001" },
  );
}

function deleted(userId: string, name: string): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId, tagId: "0190e000-0000-7000-8000-000000000002", name },
    { source: "todo/tag", type: EventTypes.tagDeleted, subject: "0190e000-0000-7000-8000-000000000002" },
  );
}

describe("task service: tag-events consumer", () => {
  test("a rename reaches every task of the owner carrying the tag, keeping its position", async () => {
    const t1 = await insertTask(ALICE, ["Work", "home"]);
    const t2 = await insertTask(ALICE, ["urgent", "WORK"]);
    const t3 = await insertTask(ALICE, ["work", "job"]); // already carries the new name
    const t4 = await insertTask(ALICE, ["other"]);
    const t5 = await insertTask(BOB, ["work"]);
    const before = await Promise.all([t1, t2, t3, t4, t5].map(task));
    const wakesBefore = wakes;

    await handle(renamed(ALICE, "work", "Job"));

    const after = await Promise.all([t1, t2, t3, t4, t5].map(task));
    expect(after.map((r) => r.tags)).toEqual([
      ["Job", "home"],
      ["urgent", "Job"],
      ["job"],
      ["other"],
      ["work"],
    ]);
    expect(after.map((r) => r.tag_keys)).toEqual([
      ["job", "home"],
      ["urgent", "job"],
      ["job"],
      ["other"],
      ["work"],
    ]);
    const bumped = after.map((r, i) => Number(r.version) - Number(before[i]?.version));
    expect(bumped).toEqual([1, 1, 1, 0, 0]);
    expect(after[0]?.update_time.getTime()).toBeGreaterThan(before[0]?.update_time.getTime() ?? Infinity);
    expect(after[3]?.update_time).toEqual(before[3]?.update_time as Date);
    expect(wakes).toBe(wakesBefore + 1);

    const events = await outboxEvents();
    expect(events.map((e) => [e.topic, e.key, e.type])).toEqual(
      [t1, t2, t3].sort().map((id) => ["task-events", id, "todo.task.v1.updated"]),
    );
    for (const e of events) {
      expect(e.data_schema).toBe("todo.events.v1.TaskUpdated");
      const msg = fromCloudEvent(TaskUpdatedSchema, {
        dataSchema: e.data_schema,
        data: new Uint8Array(e.data),
      } as CloudEvent);
      expect(msg.userId).toBe(ALICE);
      expect(msg.updateMask?.paths).toEqual(["tags"]);
      const row = after.find((r) => r.id === e.key);
      expect(msg.task?.tags).toEqual(row?.tags as string[]);
      expect(msg.task?.etag).toBe(`"${row?.version}"`);
    }
  });

  test("redelivery of the same event changes nothing", async () => {
    const t1 = await insertTask(ALICE, ["work"]);
    const event = renamed(ALICE, "work", "Job");
    await handle(event);
    const once = await task(t1);
    await handle(event);
    await handle(event);
    expect(await task(t1)).toEqual(once);
    expect((await outboxEvents()).length).toBe(1);
  });

  test("a rename that only changes case respells the tag", async () => {
    const t1 = await insertTask(ALICE, ["a", "job"]);
    await handle(renamed(ALICE, "job", "JOB"));
    expect((await task(t1)).tags).toEqual(["a", "JOB"]);
    expect((await task(t1)).tag_keys).toEqual(["a", "job"]);
  });

  test("a deleted tag is removed from the owner's tasks only", async () => {
    const t1 = await insertTask(ALICE, ["Job", "Home", "x"]);
    const t2 = await insertTask(ALICE, ["x"]);
    const t3 = await insertTask(BOB, ["home"]);
    await handle(deleted(ALICE, "home"));
    expect((await task(t1)).tags).toEqual(["Job", "x"]);
    expect((await task(t1)).tag_keys).toEqual(["job", "x"]);
    expect(Number((await task(t2)).version)).toBe(1);
    expect((await task(t3)).tags).toEqual(["home"]);
    expect((await outboxEvents()).map((e) => e.key)).toEqual([t1]);
  });
});

describe("rename end to end on the in-process bus", () => {
  test("UpdateTag → TagRenamed → tasks renamed → TaskUpdated → counts follow, no ghost", async () => {
    await migrateTags(db.sql);
    await db.sql`truncate tag.tags, tag.task_tags, tag.outbox, tag.processed_events`;
    const bus = createMemoryBus({ logger: quiet });
    await bus.subscribe(Topics.taskEvents, "tag", createTaskEventsHandler({ sql: db.sql }));
    await bus.subscribe(Topics.tagEvents, "task", createTagEventsHandler({ sql: db.sql }));
    const relays: OutboxRelay[] = ["task", "tag"].map((schema) =>
      startOutboxRelay({ sql: db.sql, schema, bus, pollIntervalMs: 250, listen: false, logger: quiet }),
    );
    const wakeAll = () => {
      for (const r of relays) r.wake();
    };
    const tokens = createTokenService({
      secret: "tag-flow-test-secret-0123456789abcdefgh",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: 600,
    });
    const tags = createClient(
      TagService,
      createRouterTransport(
        (router) =>
          router.service(
            TagService,
            createTagService({ store: createTagStore(db.sql), afterCommit: wakeAll }),
          ),
        { router: { interceptors: [createAuthInterceptor(tokens, [])] } },
      ),
    );
    const { token } = await tokens.issue({ userId: ALICE, email: "alice@example.com", timeZone: "UTC" });
    const opts = { headers: { authorization: `Bearer ${token}` } };
    const counts = async () =>
      Object.fromEntries((await tags.listTags({}, opts)).tags.map((t) => [t.name, t.taskCount]));
    const until = async (what: () => Promise<boolean>) => {
      const end = Date.now() + 5000;
      while (!(await what())) {
        if (Date.now() > end) throw new Error("the flow did not settle");
        await Bun.sleep(10);
      }
    };

    try {
      const { tag } = await tags.createTag({ tag: { name: "work" } }, opts);
      // The task service creates a task carrying the tag (row and event in one transaction).
      const taskId = "0190f000-0000-7000-8000-000000000001";
      await db.sql.begin(async (tx) => {
        const [row] = await tx.unsafe<TaskRow[]>(
          `insert into task.tasks (id, user_id, title, tags, tag_keys, time_zone, create_time, update_time)
           values ($1, $2, 'write report', '{work}', '{work}', 'UTC', now(), now()) returning ${TASK_COLUMNS}`,
          [taskId, ALICE],
        );
        await emitTaskEvents(tx, [
          { change: "created", row: row as TaskRow, task: rowToTask(row as TaskRow) },
        ]);
      });
      wakeAll();
      await until(async () => (await counts()).work === 1);

      await tags.updateTag({ tag: { id: tag?.id, name: "Job" }, updateMask: { paths: ["name"] } }, opts);
      await until(async () => (await task(taskId)).tags[0] === "Job");
      const settled = async () => {
        const [t] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from task.outbox where topic = 'task-events'`;
        const [g] = await db.sql<{ n: number }[]>`select count(*)::int as n from tag.outbox`;
        return t?.n === 0 && g?.n === 0;
      };
      await until(settled);
      await Bun.sleep(50);
      expect(await counts()).toEqual({ Job: 1 });
      expect((await task(taskId)).tag_keys).toEqual(["job"]);
      const [stored] = await db.sql<{ tag_keys: string[]; version: string }[]>`
        select tag_keys, version::text from tag.task_tags where task_id = ${taskId}`;
      expect(stored).toEqual({ tag_keys: ["job"], version: "2" });
    } finally {
      for (const r of relays) await r.stop();
      await bus.close();
    }
  });
});
