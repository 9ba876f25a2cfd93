/**
 * `update_task` with a day but no time ("move it to friday") keeps the task's time of day in the
 * task's own zone, as the assistant does (`movedDue` of `@todo/language/due-move`): a task due at
 * 18:00 stays at 18:00, not 23:59, and a date-only task stays date-only. Through `/mcp` of `bun
 * start` on PGlite, each result read back through TaskService.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { parseQuickAdd } from "@todo/language";
import { signUpUser, startTestApp, type TestApp, type TestUser } from "@todo/testkit";
import type { TaskView } from "@todo/tools";
import { callTool, connectHttp, wallClock } from "../test/mcp-client";

const NY = "America/New_York";
const BERLIN = "Europe/Berlin";

let server: TestApp;
let user: TestUser;
let client: Client;

beforeAll(async () => {
  server = await startTestApp("pglite");
  user = await signUpUser(server, { protocol: "connect", name: "mover", timeZone: NY });
  client = await connectHttp(`${server.httpUrl}/mcp`, user.token);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
});

/** `date` on the clocks of `timeZone`: `Fri 2027-03-12 18:00:00`. */
const clock = (date: Date, timeZone: string): string => wallClock(date, timeZone).text;

/** The date ("2027-03-12") that `text` names, read in `timeZone` now, as the tool will read it. */
function dayOf(text: string, timeZone: string): string {
  const due = parseQuickAdd(text, { now: new Date(), timeZone }).due;
  if (!due || due.hasTime) throw new Error(`${text} is not a date without a time`);
  return wallClock(due.time, timeZone).day;
}

/** Creates a task due at `due` meant in `timeZone`, through TaskService; returns its id. */
async function taskDue(title: string, due: Date, timeZone: string): Promise<string> {
  const res = await user.tasks.createTask({
    task: create(TaskSchema, { title, dueTime: timestampFromDate(due), timeZone }),
  });
  return res.task?.id ?? "";
}

/** 18:00 tomorrow in `timeZone`. */
function tomorrowAt6pm(timeZone: string): Date {
  const due = parseQuickAdd("tomorrow at 6pm", { now: new Date(), timeZone }).due;
  if (!due?.hasTime) throw new Error("could not read tomorrow at 6pm");
  return due.time;
}

/** Calls update_task and returns the task's due time as stored (read through TaskService). */
async function moveTo(id: string, args: Record<string, unknown>): Promise<{ due: Date; zone: string }> {
  const res = await callTool<{ task: TaskView }>(client, "update_task", { id, ...args });
  expect(res.isError).toBe(false);
  const stored = (await user.tasks.getTask({ id })).task;
  if (!stored?.dueTime) throw new Error("the task lost its due time");
  expect(res.structured.task.due_time).toBe(timestampDate(stored.dueTime).toISOString());
  return { due: timestampDate(stored.dueTime), zone: stored.timeZone };
}

describe("update_task with a day but no time", () => {
  test('"friday" keeps 18:00 in the task\'s zone, not 23:59', async () => {
    // The user is in New York; the task is meant in Berlin at 18:00.
    const id = await taskDue("Call mom", tomorrowAt6pm(BERLIN), BERLIN);
    const { due, zone } = await moveTo(id, { due: "friday" });
    expect(zone).toBe(BERLIN);
    expect(clock(due, BERLIN)).toBe(`Fri ${dayOf("friday", BERLIN)} 18:00:00`);
  });

  test("an ISO date alone keeps the time of day too, across a DST change", async () => {
    const id = await taskDue("Water plants", tomorrowAt6pm(NY), NY);
    // 8 March 2030 is before New York's spring-forward (10 March), 15 March after it.
    expect(clock((await moveTo(id, { due: "2030-03-08" })).due, NY)).toBe("Fri 2030-03-08 18:00:00");
    expect(clock((await moveTo(id, { due: "2030-03-15" })).due, NY)).toBe("Fri 2030-03-15 18:00:00");
  });

  test("a date-only task stays date-only: due by the end of the new day", async () => {
    const added = await callTool<{ task: TaskView }>(client, "add_task", {
      title: "Pay rent",
      due: "tomorrow",
    });
    expect(added.isError).toBe(false);
    const id = added.structured.task.id;
    expect(added.structured.task.due_time).not.toBeNull();
    expect(clock(new Date(added.structured.task.due_time ?? ""), NY)).toEndWith(" 23:59:00");
    const { due } = await moveTo(id, { due: "friday" });
    expect(clock(due, NY)).toBe(`Fri ${dayOf("friday", NY)} 23:59:00`);
  });

  test("a day with a time is taken as said; a new time zone gets the same clock time", async () => {
    const id = await taskDue("Dentist", tomorrowAt6pm(NY), NY);
    expect(clock((await moveTo(id, { due: "friday 3pm" })).due, NY)).toBe(
      `Fri ${dayOf("friday", NY)} 15:00:00`,
    );
    const other = await taskDue("Team call", tomorrowAt6pm(NY), NY);
    const moved = await moveTo(other, { due: "friday", time_zone: "Asia/Tokyo" });
    expect(moved.zone).toBe("Asia/Tokyo");
    expect(clock(moved.due, "Asia/Tokyo")).toBe(`Fri ${dayOf("friday", "Asia/Tokyo")} 18:00:00`);
  });
});
