import { clone, create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { cleanup, fireEvent, screen, waitFor, within } from "@solidjs/testing-library";
import type { PreviewRecurrenceRequest } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { Priority, RecurrenceAnchor, type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import {
  type CreateTaskRequest,
  TaskService,
  type UpdateTaskRequest,
} from "@todo/gen/todo/task/v1/task_service_pb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TaskEditor } from "./TaskEditor";
import { badRequest, renderWithServices } from "./test-support";

afterEach(cleanup);

const ID = "11111111-1111-4111-8111-111111111111";
const DAY = 86_400_000;

function existingTask(patch: Partial<Task> = {}): Task {
  const task = create(TaskSchema, {
    id: ID,
    etag: "e1",
    title: "Pay rent",
    description: "to the landlord",
    priority: Priority.HIGH,
    tags: ["home"],
    dueTime: timestampFromMs(Date.parse("2027-02-01T08:00:00Z")), // 09:00 Berlin
    timeZone: "Europe/Berlin",
    recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=1", anchor: RecurrenceAnchor.SCHEDULE },
    reminders: [
      {
        id: "22222222-2222-4222-8222-222222222222",
        trigger: { case: "beforeDue", value: durationFromMs(3_600_000) },
      },
    ],
  });
  return Object.assign(task, patch);
}

interface Calls {
  created: CreateTaskRequest[];
  updated: UpdateTaskRequest[];
  previews: PreviewRecurrenceRequest[];
}

/** Renders the editor over fake Task, Tag and Scheduler services. */
function setup(
  opts: {
    task?: Task;
    createTask?: (req: CreateTaskRequest) => Task;
    updateTask?: (req: UpdateTaskRequest) => Task;
    getTask?: () => Task;
    preview?: (req: PreviewRecurrenceRequest) => number[];
  } = {},
) {
  const calls: Calls = { created: [], updated: [], previews: [] };
  const onClose = vi.fn();
  const onSaved = vi.fn();
  renderWithServices(
    () => <TaskEditor task={opts.task} onClose={onClose} onSaved={onSaved} previewDebounceMs={0} />,
    (router) => {
      router.service(TaskService, {
        createTask(req) {
          calls.created.push(req);
          return {
            task: opts.createTask
              ? opts.createTask(req)
              : Object.assign(clone(TaskSchema, req.task ?? create(TaskSchema)), { id: "new-id" }),
          };
        },
        updateTask(req) {
          calls.updated.push(req);
          return { task: opts.updateTask ? opts.updateTask(req) : req.task };
        },
        getTask() {
          return { task: opts.getTask ? opts.getTask() : existingTask() };
        },
      });
      router.service(TagService, {
        listTags() {
          return {
            tags: [
              { id: "t1", name: "home", color: "#ff0000", taskCount: 3 },
              { id: "t2", name: "homework", color: "#00ff00", taskCount: 1 },
              { id: "t3", name: "work", color: "#0000ff", taskCount: 7 },
            ],
          };
        },
      });
      router.service(SchedulerService, {
        previewRecurrence(req) {
          calls.previews.push(req);
          const start = timestampMs(req.startTime ?? timestampFromMs(0));
          const dates = opts.preview ? opts.preview(req) : [0, 1, 2, 3, 4].map((i) => start + i * 7 * DAY);
          return { occurrences: dates.map(timestampFromMs) };
        },
      });
    },
  );
  return { calls, onClose, onSaved };
}

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
const type = (el: Element, value: string) => fireEvent.input(el, { target: { value } });
const change = (el: Element, value: string) => fireEvent.change(el, { target: { value } });
const save = () => fireEvent.click(screen.getByRole("button", { name: "Save" }));

/** Picks a time zone through the combobox as a person would: type, then Enter on the match. */
async function chooseZone(zone: string) {
  const box = screen.getByRole("combobox", { name: "Time zone" });
  fireEvent.focus(box);
  type(box, zone);
  await screen.findByRole("option", { name: new RegExp(`^${zone.replaceAll("_", " ")}`) });
  fireEvent.keyDown(box, { key: "Enter" });
}

describe("TaskEditor: create", () => {
  it("sends CreateTask with everything entered, and an idempotency key", async () => {
    const { calls, onSaved } = setup();
    expect(screen.getByRole("heading", { name: "New task" })).toBeTruthy();
    type(input("Title"), "  Pay rent ");
    type(input("Description"), "by transfer");
    fireEvent.click(screen.getByRole("radio", { name: "Urgent" }));

    const tags = screen.getByRole("combobox", { name: "Tags" });
    fireEvent.focus(tags);
    type(tags, "ho");
    await screen.findByRole("option", { name: "home" });
    expect(screen.getByRole("option", { name: "homework" })).toBeTruthy();
    fireEvent.keyDown(tags, { key: "Enter" }); // the highlighted suggestion
    type(tags, "errands");
    expect(screen.getByRole("option", { name: "Create “errands”" })).toBeTruthy();
    fireEvent.keyDown(tags, { key: "," }); // a new tag, exactly as typed
    expect(
      within(screen.getByRole("list", { name: "Chosen tags" }))
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["home×", "errands×"]);

    change(input("Date"), "2027-01-08");
    change(input("Time"), "18:30");
    await chooseZone("Europe/Berlin");

    fireEvent.click(screen.getByRole("button", { name: "+ Add reminder" }));
    type(screen.getByLabelText("Reminder 1 amount"), "2");
    change(screen.getByLabelText("Reminder 1 unit"), "hours");

    save();
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
    const req = calls.created[0];
    expect(req?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(req?.task?.title).toBe("Pay rent");
    expect(req?.task?.description).toBe("by transfer");
    expect(req?.task?.priority).toBe(Priority.URGENT);
    expect(req?.task?.tags).toEqual(["home", "errands"]);
    expect(req?.task?.timeZone).toBe("Europe/Berlin");
    expect(new Date(timestampMs(req?.task?.dueTime ?? timestampFromMs(0))).toISOString()).toBe(
      "2027-01-08T17:30:00.000Z",
    );
    expect(req?.task?.recurrence).toBeUndefined();
    const trigger = req?.task?.reminders[0]?.trigger;
    expect(trigger?.case).toBe("beforeDue");
    expect(onSaved.mock.calls[0]?.[0].id).toBe("new-id");
  });

  it("refuses an empty title without calling the server, and says so beside the field", async () => {
    const { calls } = setup();
    save();
    await screen.findByText("Give the task a title.");
    expect(input("Title").getAttribute("aria-invalid")).toBe("true");
    const describedBy = input("Title").getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy)?.textContent).toBe("Give the task a title.");
    expect(calls.created).toHaveLength(0);
  });

  it("shows the server's BadRequest field violations beside their fields", async () => {
    setup({
      createTask() {
        throw badRequest([
          { field: "task.title", description: "must be at most 500 characters (got 501)" },
          { field: "task.reminders[0].before_due", description: "must be between 0 and 366 days" },
        ]);
      },
    });
    type(input("Title"), "x");
    change(input("Date"), "2027-01-08");
    fireEvent.click(screen.getByRole("button", { name: "+ Add reminder" }));
    save();
    expect(await screen.findByText("Must be at most 500 characters (got 501)")).toBeTruthy();
    expect(screen.getByText("Must be between 0 and 366 days")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("Some fields need a look");
    expect(input("Title").getAttribute("aria-invalid")).toBe("true");
    // Editing the field clears its server error.
    type(input("Title"), "shorter");
    expect(screen.queryByText("Must be at most 500 characters (got 501)")).toBeNull();
  });

  it("shows other API errors as a readable sentence", async () => {
    setup({
      createTask() {
        throw new ConnectError("down", Code.Unavailable);
      },
    });
    type(input("Title"), "x");
    save();
    expect((await screen.findByRole("alert")).textContent).toMatch(/can't reach the server/i);
  });
});

describe("TaskEditor: recurrence", () => {
  it("builds the rule from the form and shows the next five dates from PreviewRecurrence", async () => {
    const { calls } = setup();
    type(input("Title"), "Standup");
    change(input("Date"), "2027-01-08"); // a Friday
    change(input("Time"), "09:30");
    await chooseZone("Europe/Berlin");
    change(screen.getByLabelText("Repeats"), "weekly");
    await waitFor(() => expect(document.querySelectorAll(".te-dates li")).toHaveLength(5));
    const last = calls.previews.at(-1);
    expect(last?.rrule).toBe("FREQ=WEEKLY;BYDAY=FR");
    expect(last?.timeZone).toBe("Europe/Berlin");
    expect(last?.count).toBe(5);
    expect(new Date(timestampMs(last?.startTime ?? timestampFromMs(0))).toISOString()).toBe(
      "2027-01-08T08:30:00.000Z",
    );
    expect(document.querySelector(".te-dates li")?.textContent).toMatch(/^Fri,? 8 Jan 2027,? 09:30$/);

    // Add Monday; end after 3 times; count from completion.
    fireEvent.click(screen.getByRole("checkbox", { name: "Monday" }));
    fireEvent.click(screen.getByLabelText("after"));
    type(screen.getByLabelText("Number of times"), "3");
    fireEvent.click(screen.getByLabelText("when I complete it"));
    await waitFor(() => expect(calls.previews.at(-1)?.rrule).toBe("FREQ=WEEKLY;BYDAY=MO,FR;COUNT=3"));

    save();
    await waitFor(() => expect(calls.created).toHaveLength(1));
    expect(calls.created[0]?.task?.recurrence?.rrule).toBe("FREQ=WEEKLY;BYDAY=MO,FR;COUNT=3");
    expect(calls.created[0]?.task?.recurrence?.anchor).toBe(RecurrenceAnchor.COMPLETION);
  });

  it("offers monthly on the nth weekday, the last day, and a custom interval", async () => {
    const { calls } = setup();
    change(input("Date"), "2027-01-08"); // the 2nd Friday
    change(screen.getByLabelText("Repeats"), "monthly");
    await waitFor(() => expect(calls.previews.at(-1)?.rrule).toBe("FREQ=MONTHLY"));
    fireEvent.click(screen.getByLabelText("the"));
    await waitFor(() => expect(calls.previews.at(-1)?.rrule).toBe("FREQ=MONTHLY;BYDAY=2FR"));
    change(screen.getByLabelText("Which week"), "-1");
    change(screen.getByLabelText("Weekday"), "MO");
    await waitFor(() => expect(calls.previews.at(-1)?.rrule).toBe("FREQ=MONTHLY;BYDAY=-1MO"));
    fireEvent.click(screen.getByLabelText("the last day of the month"));
    await waitFor(() => expect(calls.previews.at(-1)?.rrule).toBe("FREQ=MONTHLY;BYMONTHDAY=-1"));
    change(screen.getByLabelText("Repeats"), "custom");
    await waitFor(() => expect(calls.previews.at(-1)?.rrule).toBe("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1"));
    change(screen.getByLabelText("Unit"), "DAILY");
    type(screen.getByLabelText("Every"), "3");
    await waitFor(() => expect(calls.previews.at(-1)?.rrule).toBe("FREQ=DAILY;INTERVAL=3"));
  });

  it("says when the series starts after the due date, where saving moves the due date", async () => {
    setup({
      // The server's answer for a Thursday due date of "monthly on the last Friday": the Fridays.
      preview(req) {
        const start = timestampMs(req.startTime ?? timestampFromMs(0));
        return req.rrule === "FREQ=MONTHLY;BYDAY=-1FR" ? [start + DAY, start + DAY + 28 * DAY] : [start];
      },
    });
    change(input("Date"), "2027-01-28"); // a Thursday
    change(input("Time"), "09:00");
    await chooseZone("Europe/Berlin");
    change(screen.getByLabelText("Repeats"), "monthly");
    await waitFor(() => expect(document.querySelectorAll(".te-dates li")).toHaveLength(1));
    expect(screen.queryByRole("note")).toBeNull(); // the due date is the first date
    fireEvent.click(screen.getByLabelText("the"));
    change(screen.getByLabelText("Which week"), "-1");
    change(screen.getByLabelText("Weekday"), "FR");
    const note = await screen.findByRole("note");
    expect(note.textContent).toMatch(/saving moves it to the first, Fri,? 29 Jan 2027,? 09:00\./);
    expect(document.querySelector(".te-dates li")?.textContent).toMatch(/^Fri,? 29 Jan 2027,? 09:00$/);
  });

  it("shows PreviewRecurrence's INVALID_ARGUMENT message for a bad advanced rule", async () => {
    setup({
      preview(req) {
        if (req.rrule.includes("MINUTELY"))
          throw badRequest([{ field: "rrule", description: "tasks repeat at most hourly" }]);
        return [timestampMs(req.startTime ?? timestampFromMs(0))];
      },
    });
    change(input("Date"), "2027-01-08");
    change(screen.getByLabelText("Repeats"), "rrule");
    type(screen.getByLabelText("Rule (RFC 5545 RRULE)"), "FREQ=MINUTELY");
    expect(await screen.findByText("Tasks repeat at most hourly")).toBeTruthy();
  });

  it("asks for a due date before a series can start", async () => {
    const { calls } = setup();
    type(input("Title"), "x");
    change(screen.getByLabelText("Repeats"), "daily");
    expect(screen.getByText("Pick a due date: the series starts there.")).toBeTruthy();
    save();
    expect(await screen.findByText("A repeating task needs a due date to start from.")).toBeTruthy();
    expect(calls.created).toHaveLength(0);
  });
});

describe("TaskEditor: update", () => {
  it("opens with the task's values", () => {
    setup({ task: existingTask() });
    expect(screen.getByRole("heading", { name: "Edit task" })).toBeTruthy();
    expect(input("Title").value).toBe("Pay rent");
    expect(input("Date").value).toBe("2027-02-01");
    expect(input("Time").value).toBe("09:00");
    expect((screen.getByRole("combobox", { name: "Time zone" }) as HTMLInputElement).value).toBe(
      "Europe/Berlin",
    );
    expect((screen.getByLabelText("Repeats") as HTMLSelectElement).value).toBe("monthly");
    expect((screen.getByRole("radio", { name: "High" }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText("Reminder 1 amount") as HTMLInputElement).value).toBe("1");
  });

  it("sends only the changed fields in the update mask, with the etag", async () => {
    const { calls, onSaved } = setup({ task: existingTask() });
    type(input("Title"), "Pay the rent");
    type(screen.getByLabelText("Reminder 1 amount"), "2");
    save();
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const req = calls.updated[0];
    expect(req?.updateMask?.paths).toEqual(["title", "reminders"]);
    expect(req?.task?.id).toBe(ID);
    expect(req?.task?.etag).toBe("e1");
    expect(req?.task?.reminders[0]?.id).toBe("22222222-2222-4222-8222-222222222222");
  });

  it("closes without a call when nothing changed (even after edits that were undone)", async () => {
    const { calls, onClose } = setup({ task: existingTask() });
    type(input("Title"), "Pay rent!");
    type(input("Title"), "Pay rent");
    save();
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls.updated).toHaveLength(0);
  });

  it("on ABORTED offers a reload; Reload shows the latest version and saves with its etag", async () => {
    let first = true;
    const { calls } = setup({
      task: existingTask(),
      updateTask(req) {
        if (first) {
          first = false;
          throw new ConnectError("etag mismatch", Code.Aborted);
        }
        return req.task ?? existingTask();
      },
      getTask: () => existingTask({ title: "Pay rent (theirs)", etag: "e2", priority: Priority.LOW }),
    });
    type(input("Title"), "Mine");
    save();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("changed elsewhere");
    expect((screen.getByRole("button", { name: "Save" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(alert).getByRole("button", { name: "Reload" }));
    await waitFor(() => expect(input("Title").value).toBe("Pay rent (theirs)"));
    expect((screen.getByRole("radio", { name: "Low" }) as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByRole("radio", { name: "Urgent" }));
    save();
    await waitFor(() => expect(calls.updated).toHaveLength(2));
    expect(calls.updated[1]?.task?.etag).toBe("e2");
    expect(calls.updated[1]?.updateMask?.paths).toEqual(["priority"]);
  });

  it("'Reload and keep my changes' puts this form's edits on the latest version", async () => {
    let first = true;
    const { calls } = setup({
      task: existingTask(),
      updateTask(req) {
        if (first) {
          first = false;
          throw new ConnectError("etag mismatch", Code.Aborted);
        }
        return req.task ?? existingTask();
      },
      getTask: () => existingTask({ description: "theirs", etag: "e2" }),
    });
    type(input("Title"), "Mine");
    save();
    fireEvent.click(await screen.findByRole("button", { name: "Reload and keep my changes" }));
    await waitFor(() => expect(input("Description").value).toBe("theirs"));
    expect(input("Title").value).toBe("Mine");
    save();
    await waitFor(() => expect(calls.updated).toHaveLength(2));
    expect(calls.updated[1]?.updateMask?.paths).toEqual(["title"]);
    expect(calls.updated[1]?.task?.etag).toBe("e2");
  });
});

describe("TaskEditor: keyboard", () => {
  it("Escape closes, but first closes an open suggestion list", async () => {
    const { onClose } = setup();
    const tags = screen.getByRole("combobox", { name: "Tags" });
    fireEvent.focus(tags);
    type(tags, "wo");
    await screen.findByRole("option", { name: "work" });
    fireEvent.keyDown(tags, { key: "Escape" });
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.queryByRole("listbox")).toBeNull();
    fireEvent.keyDown(input("Title"), { key: "Escape" });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it("keeps Tab inside the editor and focuses the title first", () => {
    setup();
    expect(document.activeElement).toBe(input("Title"));
    const saveButton = screen.getByRole("button", { name: "Save" });
    saveButton.focus();
    fireEvent.keyDown(saveButton, { key: "Tab" });
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Close" }));
    fireEvent.keyDown(document.activeElement as Element, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(saveButton);
  });

  it("Ctrl+Enter saves", async () => {
    const { calls } = setup();
    type(input("Title"), "Quick");
    fireEvent.keyDown(input("Title"), { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(calls.created).toHaveLength(1));
  });
});
