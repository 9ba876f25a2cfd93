/**
 * Completing a recurring task: the scheduler makes the next instance, and the open page shows it
 * through its live stream — without a reload.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { RecurrenceAnchor, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import { createTask, listAllTasks, signUpApi } from "./lib/api.ts";
import { completeBox, signInUi, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

describe("recurring tasks", () => {
  test("completing one shows its next instance without a reload", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const now = new Date();
    const due = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 9));
    const first = await createTask(user, {
      title: "Water the plants",
      dueTime: timestampFromDate(due),
      timeZone: "UTC",
      recurrence: { rrule: "FREQ=DAILY", anchor: RecurrenceAnchor.SCHEDULE },
    });

    const page = await newPage();
    await signInUi(page, user.email);
    const row = taskRow(page, "Water the plants");
    await row.waitFor({ state: "visible" });
    expect(await row.locator("time").getAttribute("datetime")).toBe(due.toISOString());
    let navigations = 0;
    page.on("framenavigated", () => navigations++);

    await completeBox(page, "Water the plants").click();
    const next = new Date(due.getTime() + 24 * 3600 * 1000);
    // The open view shows exactly one "Water the plants": the next one, due a day later.
    await untilPasses(
      async () => {
        expect(await row.count()).toBe(1);
        expect(await row.locator("time").getAttribute("datetime")).toBe(next.toISOString());
      },
      { timeoutMs: 15_000 },
    );
    expect(navigations).toBe(0);

    // The server agrees: the first is completed, the next is open in the same series.
    const tasks = await listAllTasks(user, "status = COMPLETED OR status = OPEN");
    const series = tasks.filter((t) => t.seriesId === first.seriesId);
    expect(series.length).toBe(2);
    expect(series.find((t) => t.id === first.id)?.status).toBe(TaskStatus.COMPLETED);
    const open = series.find((t) => t.id !== first.id);
    expect(open?.status).toBe(TaskStatus.OPEN);
    expect(open?.dueTime && timestampDate(open.dueTime).toISOString()).toBe(next.toISOString());
  });
});
