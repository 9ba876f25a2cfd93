import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import type { PreviewRecurrenceRequestSchema } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import type { Principal } from "@todo/platform";
import { createSchedulerTestEnv, type SchedulerTestEnv, until } from "@todo/testkit";
import { encodePageToken } from "./scheduler-service";

let env: SchedulerTestEnv;
let nyc: Principal;

beforeAll(async () => {
  env = await createSchedulerTestEnv();
  nyc = env.user("America/New_York");
});
afterAll(async () => {
  await env?.close();
});

const ts = (d: Date | number | string) => timestampFromDate(new Date(d));
const iso = (list: { seconds: bigint; nanos: number }[]) =>
  list.map((t) => timestampDate(t as Parameters<typeof timestampDate>[0]).toISOString());

/** Expects INVALID_ARGUMENT with a BadRequest violation naming exactly `fields`. */
async function expectInvalid(call: Promise<unknown>, fields: string[]): Promise<void> {
  let error: ConnectError | undefined;
  try {
    await call;
  } catch (err) {
    error = ConnectError.from(err);
  }
  expect(error?.code).toBe(Code.InvalidArgument);
  const named = (error as ConnectError)
    .findDetails(BadRequestSchema)
    .flatMap((d) => d.fieldViolations.map((v) => v.field));
  expect(named.sort()).toEqual([...fields].sort());
}

async function preview(user: Principal, req: MessageInitShape<typeof PreviewRecurrenceRequestSchema>) {
  return env.scheduler.previewRecurrence(req, await env.as(user));
}

describe("PreviewRecurrence", () => {
  test("expands in the caller's time zone by default: wall-clock time survives DST; 5 by default", async () => {
    // 09:00 in New York on Saturday 7 March 2026; DST starts on the 8th.
    const res = await preview(nyc, { rrule: "FREQ=DAILY", startTime: ts("2026-03-07T14:00:00Z") });
    expect(iso(res.occurrences)).toEqual([
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z",
      "2026-03-09T13:00:00.000Z",
      "2026-03-10T13:00:00.000Z",
      "2026-03-11T13:00:00.000Z",
    ]);
  });

  test("a given time zone and count are honoured; COUNT ends the series early", async () => {
    const utc = await preview(nyc, {
      rrule: "FREQ=DAILY",
      startTime: ts("2026-03-07T14:00:00Z"),
      timeZone: "UTC",
      count: 2,
    });
    expect(iso(utc.occurrences)).toEqual(["2026-03-07T14:00:00.000Z", "2026-03-08T14:00:00.000Z"]);
    const short = await preview(nyc, {
      rrule: "FREQ=WEEKLY;COUNT=2",
      startTime: ts("2026-03-07T14:00:00Z"),
      count: 10,
    });
    expect(short.occurrences).toHaveLength(2);
    const many = await preview(nyc, {
      rrule: "FREQ=HOURLY",
      startTime: ts("2026-03-07T14:00:00Z"),
      count: 100,
    });
    expect(many.occurrences).toHaveLength(100);
  });

  test("month ends follow RFC 5545: BYMONTHDAY=31 skips shorter months", async () => {
    const res = await preview(nyc, {
      rrule: "FREQ=MONTHLY;BYMONTHDAY=31",
      startTime: ts("2027-01-31T09:00:00Z"),
      timeZone: "UTC",
      count: 4,
    });
    expect(iso(res.occurrences)).toEqual([
      "2027-01-31T09:00:00.000Z",
      "2027-03-31T09:00:00.000Z",
      "2027-05-31T09:00:00.000Z",
      "2027-07-31T09:00:00.000Z",
    ]);
  });

  test("a start that does not fit the rule: PreviewRecurrence, CreateTask, UpdateTask and completion agree", async () => {
    // Thursday 28 January 2027, 09:00 in New York, "monthly on the last Friday".
    const thursday = "2027-01-28T14:00:00Z";
    const rrule = "FREQ=MONTHLY;BYDAY=-1FR";
    const res = await preview(nyc, { rrule, startTime: ts(thursday), count: 3 });
    const dates = iso(res.occurrences);
    expect(dates).toEqual([
      "2027-01-29T14:00:00.000Z",
      "2027-02-26T14:00:00.000Z",
      "2027-03-26T13:00:00.000Z",
    ]);
    const created = await env.tasks.createTask(
      { task: { title: "Team lunch", dueTime: ts(thursday), recurrence: { rrule } } },
      await env.as(nyc),
    );
    const task = created.task as NonNullable<typeof created.task>;
    expect(iso([task.dueTime as NonNullable<typeof task.dueTime>])).toEqual([dates[0] as string]);
    // UpdateTask with a new due time (Thursday again, a month on) moves it the same way.
    const moved = await env.tasks.updateTask(
      { task: { id: task.id, dueTime: ts("2027-02-25T14:00:00Z") }, updateMask: { paths: ["due_time"] } },
      await env.as(nyc),
    );
    const stored = moved.task as NonNullable<typeof moved.task>;
    expect(iso([stored.dueTime as NonNullable<typeof stored.dueTime>])).toEqual([dates[1] as string]);
    // Completing it creates the preview's next date.
    await env.tasks.completeTask({ id: task.id }, await env.as(nyc));
    let next: Task | undefined;
    await until(async () => {
      const { tasks } = await env.tasks.listTasks({ filter: "status = OPEN" }, await env.as(nyc));
      next = tasks.find((t) => t.seriesId === task.seriesId && t.id !== task.id);
      return next !== undefined;
    });
    expect(iso([next?.dueTime as NonNullable<Task["dueTime"]>])).toEqual([dates[2] as string]);
  });

  test("bad input is INVALID_ARGUMENT naming the field", async () => {
    const start = ts("2026-03-07T14:00:00Z");
    await expectInvalid(preview(nyc, { rrule: "FREQ=SOMETIMES", startTime: start }), ["rrule"]);
    await expectInvalid(preview(nyc, { rrule: "RRULE:FREQ=DAILY", startTime: start }), ["rrule"]);
    await expectInvalid(preview(nyc, { rrule: "FREQ=DAILY", startTime: start, timeZone: "Mars/Olympus" }), [
      "time_zone",
    ]);
    await expectInvalid(preview(nyc, { rrule: "FREQ=DAILY", startTime: start, count: 101 }), ["count"]);
    await expectInvalid(preview(nyc, { rrule: "FREQ=DAILY", startTime: start, count: -1 }), ["count"]);
    await expectInvalid(preview(nyc, { rrule: "FREQ=DAILY" }), ["start_time"]);
    await expectInvalid(preview(nyc, { startTime: start }), ["rrule"]);
    await expectInvalid(
      preview(nyc, { rrule: "FREQ=WEEKLY;BYDAY=XX", startTime: start, timeZone: "Nowhere", count: 1000 }),
      ["rrule", "time_zone", "count"],
    );
    // Valid syntax that (almost) never matches: 30 February.
    await expectInvalid(
      preview(nyc, { rrule: "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", startTime: start, count: 3 }),
      ["rrule"],
    );
  });

  test("needs a signed-in caller", async () => {
    let code: Code | undefined;
    try {
      await env.scheduler.previewRecurrence({ rrule: "FREQ=DAILY", startTime: ts(Date.now()) });
    } catch (err) {
      code = ConnectError.from(err).code;
    }
    expect(code).toBe(Code.Unauthenticated);
  });
});

describe("ListUpcomingReminders", () => {
  let carol: Principal;
  let dave: Principal;
  const expected: { taskId: string; reminderId: string; fireTime: number; title: string }[] = [];

  beforeAll(async () => {
    carol = env.user("Europe/Paris");
    dave = env.user("UTC");
    const base = Date.now() + 24 * 3600_000;
    // Three tasks, five reminders, fire times interleaved across tasks; two share a fire time.
    const specs = [
      { title: "A", due: base + 10 * 60_000, before: [5 * 60_000, 9 * 60_000] },
      { title: "B", due: base + 8 * 60_000, before: [0] },
      { title: "C", due: base + 20 * 60_000, before: [15 * 60_000, 1 * 60_000] },
    ];
    for (const spec of specs) {
      const res = await env.tasks.createTask(
        {
          task: {
            title: spec.title,
            dueTime: ts(spec.due),
            reminders: spec.before.map((ms) => ({
              trigger: { case: "beforeDue", value: durationFromMs(ms) },
            })),
          },
        },
        await env.as(carol),
      );
      const task = res.task;
      if (!task) throw new Error("no task");
      spec.before.forEach((ms, i) => {
        expected.push({
          taskId: task.id,
          reminderId: task.reminders[i]?.id as string,
          fireTime: spec.due - ms,
          title: spec.title,
        });
      });
    }
    // Dave has one of his own.
    await env.tasks.createTask(
      { task: { title: "D", reminders: [{ trigger: { case: "at", value: ts(base) } }] } },
      await env.as(dave),
    );
    await env.settle();
    expected.sort(
      (a, b) =>
        a.fireTime - b.fireTime ||
        (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0) ||
        (a.reminderId < b.reminderId ? -1 : 1),
    );
  });

  test("lists the caller's reminders soonest first, in pages", async () => {
    const seen: typeof expected = [];
    let pageToken = "";
    const sizes: number[] = [];
    for (let page = 0; page < 10; page++) {
      const res = await env.scheduler.listUpcomingReminders({ pageSize: 2, pageToken }, await env.as(carol));
      sizes.push(res.reminders.length);
      for (const r of res.reminders) {
        seen.push({
          taskId: r.taskId,
          reminderId: r.reminderId,
          fireTime: timestampDate(r.fireTime as NonNullable<typeof r.fireTime>).getTime(),
          title: r.taskTitle,
        });
        expect(r.dueTime).toBeDefined();
      }
      pageToken = res.nextPageToken;
      if (pageToken === "") break;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(expected);
    const all = await env.scheduler.listUpcomingReminders({}, await env.as(carol));
    expect(all.reminders.map((r) => r.reminderId)).toEqual(expected.map((e) => e.reminderId));
    expect(all.nextPageToken).toBe("");
  });

  test("never shows another user's reminders, whatever the page token", async () => {
    const mine = await env.scheduler.listUpcomingReminders({}, await env.as(dave));
    expect(mine.reminders.map((r) => r.taskTitle)).toEqual(["D"]);
    const first = expected[0];
    if (!first) throw new Error("no reminders");
    // A token positioned before carol's first reminder still lists only dave's.
    const token = encodePageToken({
      fireTime: new Date(first.fireTime - 1),
      taskId: first.taskId,
      reminderId: first.reminderId,
    });
    const res = await env.scheduler.listUpcomingReminders({ pageToken: token }, await env.as(dave));
    expect(res.reminders.every((r) => r.taskTitle === "D")).toBe(true);
    const stranger = env.user("UTC");
    expect((await env.scheduler.listUpcomingReminders({}, await env.as(stranger))).reminders).toEqual([]);
  });

  test("bad paging input is INVALID_ARGUMENT", async () => {
    await expectInvalid(env.scheduler.listUpcomingReminders({ pageSize: -1 }, await env.as(carol)), [
      "page_size",
    ]);
    await expectInvalid(
      env.scheduler.listUpcomingReminders({ pageToken: "not-a-token" }, await env.as(carol)),
      ["page_token"],
    );
    const forged = Buffer.from(JSON.stringify({ v: 1, t: 1, k: "x", r: "y" })).toString("base64url");
    await expectInvalid(env.scheduler.listUpcomingReminders({ pageToken: forged }, await env.as(carol)), [
      "page_token",
    ]);
  });
});
