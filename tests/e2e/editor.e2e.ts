/**
 * The task editor: opened from a row, it shows the recurrence's next five dates (from
 * SchedulerService.PreviewRecurrence) and saves changes back to the row and the server.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Priority, RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import { createTask, signUpApi } from "./lib/api.ts";
import { signInUi, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

describe("task editor", () => {
  test("shows the next five dates of a recurrence and saves an edit", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const now = new Date();
    const nextFirst = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 9));
    const task = await createTask(user, {
      title: "Pay rent",
      priority: Priority.HIGH,
      dueTime: timestampFromDate(nextFirst),
      timeZone: "UTC",
      recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=1", anchor: RecurrenceAnchor.SCHEDULE },
    });

    const page = await newPage();
    await signInUi(page, user.email);
    await taskRow(page, "Pay rent").getByRole("button", { name: "Pay rent", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Edit task: Pay rent" });
    await dialog.waitFor();
    const dates = dialog.getByRole("region", { name: "Next dates" }).getByRole("listitem");
    await untilPasses(async () => expect(await dates.count()).toBe(5));
    const texts = await dates.allTextContents();
    expect(new Set(texts).size).toBe(5);
    // Five consecutive months, each on the 1st.
    const months = Array.from({ length: 5 }, (_, i) =>
      new Date(Date.UTC(nextFirst.getUTCFullYear(), nextFirst.getUTCMonth() + i, 1)).toLocaleString("en-US", {
        month: "short",
        timeZone: "UTC",
      }),
    );
    texts.forEach((t, i) => {
      expect(t).toContain(months[i] as string);
      expect(t).toMatch(/\b1\b/);
    });

    await dialog.getByLabel("Title", { exact: true }).fill("Pay rent and bills");
    await dialog.getByRole("radio", { name: "Urgent" }).check();
    await dialog.getByRole("button", { name: "Save", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    const row = taskRow(page, "Pay rent and bills");
    await row.waitFor();
    expect(await row.getByText("Priority: Urgent").count()).toBe(1);

    const stored = (await user.tasks.getTask({ id: task.id })).task;
    expect(stored?.title).toBe("Pay rent and bills");
    expect(stored?.priority).toBe(Priority.URGENT);
    expect(stored?.recurrence?.rrule).toBe("FREQ=MONTHLY;BYMONTHDAY=1");
  });
});
