import { describe, expect, test } from "bun:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Priority, type RecurrenceAnchor, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import {
  CompleteTaskRequestSchema,
  CreateTaskRequestSchema,
  DeleteTaskRequestSchema,
  GetTaskRequestSchema,
  ListTasksRequestSchema,
  ReopenTaskRequestSchema,
  UpdateTaskRequestSchema,
} from "@todo/gen/todo/task/v1/task_service_pb";
import {
  crossFieldViolations,
  isId,
  LIMITS,
  maskFields,
  normaliseTags,
  taskFieldViolations,
  taskValidators,
  UPDATABLE_FIELDS,
  type UpdatableField,
} from "./validation";

type TaskInit = MessageInitShape<typeof TaskSchema>;
const DAY = 86_400_000;
const ALL = new Set<UpdatableField>(UPDATABLE_FIELDS);
const task = (init: TaskInit) => create(TaskSchema, init);
const fields = (violations: { field: string }[]) => violations.map((v) => v.field);
const at = (iso: string) => ({ case: "at" as const, value: timestampFromDate(new Date(iso)) });
const beforeDue = (ms: number) => ({ case: "beforeDue" as const, value: durationFromMs(ms) });
const validator = (name: string) => {
  const fn = taskValidators[name];
  if (!fn) throw new Error(`no validator for ${name}`);
  return fn;
};

describe("isId", () => {
  test("accepts UUIDs in either case, refuses anything else", () => {
    expect(isId("0190f1a2-7b3c-7def-8abc-0123456789ab")).toBe(true);
    expect(isId("0190F1A2-7B3C-7DEF-8ABC-0123456789AB")).toBe(true);
    for (const bad of [
      "",
      "42",
      "0190f1a2-7b3c-7def-8abc-0123456789a",
      "0190f1a2-7b3c-7def-8abc-0123456789abc",
      "0190f1a27b3c7def8abc0123456789ab",
      " 0190f1a2-7b3c-7def-8abc-0123456789ab",
      "g190f1a2-7b3c-7def-8abc-0123456789ab",
    ]) {
      expect(isId(bad)).toBe(false);
    }
  });
});

describe("normaliseTags", () => {
  test("trims and keeps spelling and order", () => {
    expect(normaliseTags([" Work ", "home", "\tDeep work\n"])).toEqual(["Work", "home", "Deep work"]);
  });
});

describe("taskFieldViolations", () => {
  test("a complete valid task has none", () => {
    const t = task({
      title: "Plan",
      description: "d",
      priority: 4 as Priority,
      tags: ["a", "b"],
      dueTime: timestampFromDate(new Date("2026-03-01T00:00:00Z")),
      timeZone: "Europe/Berlin",
      recurrence: { rrule: "FREQ=DAILY", anchor: 2 as RecurrenceAnchor },
      reminders: [
        { trigger: at("2026-02-28T00:00:00Z") },
        { trigger: beforeDue(0) },
        { trigger: beforeDue(366 * DAY) },
      ],
    });
    expect(taskFieldViolations(t, ALL)).toEqual([]);
    expect(crossFieldViolations(t)).toEqual([]);
  });

  test("title: required, trimmed, at most 500 characters counted as code points", () => {
    expect(fields(taskFieldViolations(task({ title: "" }), ALL))).toEqual(["task.title"]);
    expect(fields(taskFieldViolations(task({ title: " \n\t " }), ALL))).toEqual(["task.title"]);
    expect(taskFieldViolations(task({ title: `  ${"x".repeat(500)}  ` }), ALL)).toEqual([]);
    expect(taskFieldViolations(task({ title: "😀".repeat(500) }), ALL)).toEqual([]);
    const long = taskFieldViolations(task({ title: "x".repeat(501) }), ALL);
    expect(long).toEqual([{ field: "task.title", description: expect.stringContaining("500") }]);
  });

  test("description: at most 10 000 characters, not required", () => {
    expect(taskFieldViolations(task({ title: "t", description: "" }), ALL)).toEqual([]);
    expect(
      taskFieldViolations(task({ title: "t", description: "d".repeat(LIMITS.description) }), ALL),
    ).toEqual([]);
    expect(
      fields(taskFieldViolations(task({ title: "t", description: "d".repeat(LIMITS.description + 1) }), ALL)),
    ).toEqual(["task.description"]);
  });

  test("priority: only the enum's values", () => {
    for (const p of [0, 1, 2, 3, 4])
      expect(taskFieldViolations(task({ title: "t", priority: p as Priority }), ALL)).toEqual([]);
    for (const p of [5, -1, 100]) {
      expect(fields(taskFieldViolations(task({ title: "t", priority: p as Priority }), ALL))).toEqual([
        "task.priority",
      ]);
    }
  });

  test("tags: count, length, emptiness, separators and case-insensitive duplicates", () => {
    const check = (tags: string[]) => fields(taskFieldViolations(task({ title: "t", tags }), ALL));
    expect(check(Array.from({ length: 20 }, (_, i) => `t${i}`))).toEqual([]);
    expect(check(Array.from({ length: 21 }, (_, i) => `t${i}`))).toEqual(["task.tags"]);
    expect(check(["x".repeat(64)])).toEqual([]);
    expect(check([`  ${"x".repeat(64)}  `])).toEqual([]); // trimmed before counting
    expect(check(["ok", "x".repeat(65)])).toEqual(["task.tags[1]"]);
    expect(check(["ok", ""])).toEqual(["task.tags[1]"]);
    expect(check(["   "])).toEqual(["task.tags[0]"]);
    expect(check(["a,b"])).toEqual(["task.tags[0]"]);
    expect(check(["a\u0007b"])).toEqual(["task.tags[0]"]);
    expect(check(["Work", "home", "WORK"])).toEqual(["task.tags[2]"]);
    expect(check(["work", " work "])).toEqual(["task.tags[1]"]);
    expect(check(["a", "b", "A", "B"])).toEqual(["task.tags[2]", "task.tags[3]"]);
    // Two empty tags are each reported once, as empty, not also as duplicates.
    expect(check(["", ""])).toEqual(["task.tags[0]", "task.tags[1]"]);
  });

  test("duplicate tags name the first spelling", () => {
    const [v] = taskFieldViolations(task({ title: "t", tags: ["Work", "WORK"] }), ALL);
    expect(v?.description).toContain('"Work"');
  });

  test("time zone: empty means the user's default; IANA names in any case; offsets and unknown names refused", () => {
    const check = (timeZone: string) => fields(taskFieldViolations(task({ title: "t", timeZone }), ALL));
    for (const ok of ["", "UTC", "Europe/Berlin", "america/new_york", "Asia/Tokyo"])
      expect(check(ok)).toEqual([]);
    for (const bad of ["Mars/Base", "+02:00", "GMT+2:00", "Europe/Berlin ", "x".repeat(65)]) {
      expect(check(bad)).toEqual(["task.time_zone"]);
    }
  });

  test("due time: the years 1900 to 9999", () => {
    const check = (iso: string) =>
      fields(taskFieldViolations(task({ title: "t", dueTime: timestampFromDate(new Date(iso)) }), ALL));
    expect(check("1900-01-01T00:00:00Z")).toEqual([]);
    expect(check("9999-12-31T23:59:59Z")).toEqual([]);
    expect(check("1899-12-31T23:59:59Z")).toEqual(["task.due_time"]);
    expect(check("+010000-01-01T00:00:00Z")).toEqual(["task.due_time"]);
  });

  test("recurrence: the rule is checked and the anchor must be known", () => {
    const check = (rrule: string, anchor = 0) =>
      taskFieldViolations(
        task({ title: "t", recurrence: { rrule, anchor: anchor as RecurrenceAnchor } }),
        ALL,
      );
    expect(check("FREQ=WEEKLY;BYDAY=MO")).toEqual([]);
    expect(check("FREQ=WEEKLY", 1)).toEqual([]);
    expect(check("FREQ=WEEKLY", 2)).toEqual([]);
    expect(check("FREQ=SOMETIMES")).toEqual([
      { field: "task.recurrence.rrule", description: expect.stringContaining("SOMETIMES") },
    ]);
    expect(fields(check("FREQ=WEEKLY", 3))).toEqual(["task.recurrence.anchor"]);
  });

  test("reminders: count, trigger, range and id shape, each at its index", () => {
    const check = (reminders: TaskInit["reminders"]) =>
      fields(taskFieldViolations(task({ title: "t", reminders }), ALL));
    expect(check(Array.from({ length: 10 }, () => ({ trigger: beforeDue(0) })))).toEqual([]);
    expect(check(Array.from({ length: 11 }, () => ({ trigger: beforeDue(0) })))).toEqual(["task.reminders"]);
    expect(check([{ trigger: beforeDue(0) }, {}])).toEqual(["task.reminders[1]"]);
    expect(check([{ trigger: beforeDue(-1) }])).toEqual(["task.reminders[0].before_due"]);
    expect(check([{ trigger: beforeDue(366 * DAY + 1) }])).toEqual(["task.reminders[0].before_due"]);
    expect(check([{ trigger: at("1899-01-01T00:00:00Z") }])).toEqual(["task.reminders[0].at"]);
    expect(check([{ id: "r-1", trigger: beforeDue(0) }])).toEqual(["task.reminders[0].id"]);
    expect(check([{ id: "0190f1a2-7b3c-7def-8abc-0123456789ab", trigger: beforeDue(0) }])).toEqual([]);
  });

  test("only the named fields are looked at, under the given prefix", () => {
    const bad = task({ title: "", priority: 9 as Priority, tags: ["a", "A"], timeZone: "Nowhere" });
    expect(taskFieldViolations(bad, new Set())).toEqual([]);
    expect(fields(taskFieldViolations(bad, new Set<UpdatableField>(["priority"])))).toEqual([
      "task.priority",
    ]);
    expect(fields(taskFieldViolations(bad, new Set<UpdatableField>(["title", "tags"]), "x"))).toEqual([
      "x.title",
      "x.tags[1]",
    ]);
  });
});

describe("crossFieldViolations", () => {
  test("recurrence and relative reminders need a due time; absolute reminders do not", () => {
    const t = task({
      title: "t",
      recurrence: { rrule: "FREQ=DAILY" },
      reminders: [{ trigger: at("2026-01-01T00:00:00Z") }, { trigger: beforeDue(DAY) }],
    });
    expect(fields(crossFieldViolations(t))).toEqual(["task.recurrence", "task.reminders[1].before_due"]);
    t.dueTime = timestampFromDate(new Date("2026-01-02T00:00:00Z"));
    expect(crossFieldViolations(t)).toEqual([]);
  });
});

describe("maskFields", () => {
  const req = (paths?: string[]) =>
    create(UpdateTaskRequestSchema, { task: { title: "t" }, updateMask: paths ? { paths } : undefined });

  test("an empty or missing mask means every updatable field", () => {
    expect([...maskFields(req()).fields].sort()).toEqual([...UPDATABLE_FIELDS].sort());
    expect([...maskFields(req([])).fields].sort()).toEqual([...UPDATABLE_FIELDS].sort());
  });

  test("named fields only; output-only and unknown paths are violations on update_mask", () => {
    const { fields: f, violations } = maskFields(req(["title", "due_time", "title"]));
    expect([...f].sort()).toEqual(["due_time", "title"]);
    expect(violations).toEqual([]);
    for (const path of [
      "id",
      "status",
      "etag",
      "create_time",
      "update_time",
      "complete_time",
      "series_id",
      "Title",
      "task.title",
      "recurrence.rrule",
      "",
    ]) {
      const result = maskFields(req([path]));
      expect(result.violations).toEqual([
        { field: "update_mask", description: expect.stringContaining(`"${path}"`) },
      ]);
      expect(result.fields.size).toBe(0);
    }
  });
});

describe("taskValidators (per request)", () => {
  const uuid = "0190f1a2-7b3c-7def-8abc-0123456789ab";

  test("CreateTask: request_id length, then field checks, then cross-field checks", () => {
    const v = validator("CreateTask");
    expect(v(create(CreateTaskRequestSchema, { task: { title: "t" }, requestId: "r".repeat(100) }))).toEqual(
      [],
    );
    expect(
      fields(v(create(CreateTaskRequestSchema, { task: { title: "t" }, requestId: "r".repeat(101) }))),
    ).toEqual(["request_id"]);
    expect(
      fields(
        v(create(CreateTaskRequestSchema, { task: { title: "t", reminders: [{ trigger: beforeDue(0) }] } })),
      ),
    ).toEqual(["task.reminders[0].before_due"]);
    // Field problems are reported first; cross-field ones only once the fields themselves are fine.
    expect(
      fields(
        v(create(CreateTaskRequestSchema, { task: { title: "", reminders: [{ trigger: beforeDue(0) }] } })),
      ),
    ).toEqual(["task.title"]);
  });

  test("GetTask, DeleteTask, CompleteTask, ReopenTask: the id must be a UUID", () => {
    for (const [name, schema] of [
      ["GetTask", GetTaskRequestSchema],
      ["DeleteTask", DeleteTaskRequestSchema],
      ["CompleteTask", CompleteTaskRequestSchema],
      ["ReopenTask", ReopenTaskRequestSchema],
    ] as const) {
      const v = validator(name);
      expect(v(create(schema, { id: uuid }))).toEqual([]);
      expect(fields(v(create(schema, { id: "nope" })))).toEqual(["id"]);
    }
  });

  test("ListTasks: page_size 0..1000 and the length of query, filter and order_by", () => {
    const v = validator("ListTasks");
    const check = (init: MessageInitShape<typeof ListTasksRequestSchema>) =>
      fields(v(create(ListTasksRequestSchema, init)));
    expect(check({ pageSize: 0 })).toEqual([]);
    expect(check({ pageSize: 1000 })).toEqual([]);
    expect(check({ pageSize: 1001 })).toEqual(["page_size"]);
    expect(check({ pageSize: -1 })).toEqual(["page_size"]);
    expect(check({ query: "q".repeat(200), filter: "f".repeat(2000), orderBy: "o".repeat(200) })).toEqual([]);
    expect(check({ query: "q".repeat(201), filter: "f".repeat(2001), orderBy: "o".repeat(201) })).toEqual([
      "query",
      "filter",
      "order_by",
    ]);
  });

  test("UpdateTask: task.id, the mask, and only the masked fields", () => {
    const v = validator("UpdateTask");
    const check = (init: MessageInitShape<typeof UpdateTaskRequestSchema>) =>
      fields(v(create(UpdateTaskRequestSchema, init)));
    expect(check({ task: { id: uuid, title: "t" } })).toEqual([]);
    expect(check({ task: { id: "x", title: "t" } })).toEqual(["task.id"]);
    expect(check({ task: { id: uuid, title: "" } })).toEqual(["task.title"]); // empty mask: all fields
    expect(check({ task: { id: uuid, title: "" }, updateMask: { paths: ["priority"] } })).toEqual([]);
    expect(
      check({ task: { id: uuid, priority: 9 as Priority }, updateMask: { paths: ["priority", "status"] } }),
    ).toEqual(["update_mask", "task.priority"]);
  });
});
