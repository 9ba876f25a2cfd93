import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { Priority, RecurrenceAnchor, type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { QuickAddParsed, QuickAddParseFn } from "../state/quick-add";

// The real module lazy-loads @todo/language; these tests give QuickAdd a stub parser instead.
vi.mock("../state/language", () => ({
  describeRecurrence: (rrule: string) =>
    rrule === "FREQ=MONTHLY;BYMONTHDAY=1" ? "every month on the 1st" : rrule,
  loadQuickAddParser: () => Promise.reject(new Error("not in tests")),
}));
const { QuickAdd } = await import("./QuickAdd");

afterEach(cleanup);

const DUE = new Date("2030-01-01T08:00:00Z");
/** What a parser would make of "Pay rent every month on the 1st at 9am #home !high remind me 1 hour before". */
const STUB: QuickAddParsed = {
  title: "Pay rent",
  priority: Priority.HIGH,
  tags: ["home"],
  due: { at: DUE, hasTime: true },
  timeZone: "Europe/Berlin",
  recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=1", anchor: RecurrenceAnchor.SCHEDULE },
  reminders: [{ beforeDueMs: 3_600_000 }],
  spans: [{ field: "tag", start: 40, end: 45 }],
};

function setup(createTask: (task: Task, requestId: string) => Promise<Task>) {
  const parse = vi.fn<QuickAddParseFn>((text) =>
    text.includes("rent") ? STUB : { title: text, tags: [], timeZone: "UTC", reminders: [], spans: [] },
  );
  const onCreated = vi.fn();
  render(() => (
    <QuickAdd
      timeZone="Europe/Berlin"
      loadParser={async () => parse}
      createTask={createTask}
      onCreated={onCreated}
    />
  ));
  const input = screen.getByRole("textbox", { name: "Add a task" }) as HTMLInputElement;
  return { parse, onCreated, input };
}

async function type(input: HTMLInputElement, text: string) {
  fireEvent.focus(input);
  input.value = text;
  fireEvent.input(input);
  await Promise.resolve();
}

describe("QuickAdd", () => {
  it("previews what the parser understood before Enter", async () => {
    const { input, parse } = setup(vi.fn());
    await type(input, "Pay rent every month on the 1st at 9am #home !high remind me 1 hour before");
    const chips = await screen.findByRole("list", { name: "What quick add understood" });
    const text = chips.textContent ?? "";
    expect(text).toContain("every month on the 1st");
    expect(text).toContain("High");
    expect(text).toContain("#home");
    expect(text).toContain("remind 1 hour before");
    expect(text).toContain("1 Jan 2030, 09:00"); // in the parse's zone (Berlin)
    expect(screen.getByTitle("Title").textContent).toBe("Pay rent");
    expect(parse).toHaveBeenCalledWith(
      expect.stringContaining("Pay rent"),
      expect.objectContaining({ timeZone: "Europe/Berlin" }),
    );
  });

  it("shows no preview for plain text", async () => {
    const { input } = setup(vi.fn());
    await type(input, "just a title");
    await Promise.resolve();
    expect(screen.queryByRole("list", { name: "What quick add understood" })).toBeNull();
  });

  it("creates the task on Enter with a fresh request id, and clears the box", async () => {
    const created = create(TaskSchema, { id: "new", title: "Pay rent" });
    const createTask = vi.fn(async (_t: Task, _id: string) => created);
    const { input, onCreated } = setup(createTask);
    await type(input, "Pay rent every month on the 1st");
    await screen.findByRole("list", { name: "What quick add understood" });
    fireEvent.submit(input.closest("form") as HTMLFormElement);
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    const [task, requestId] = createTask.mock.calls[0] as [Task, string];
    expect(task.title).toBe("Pay rent");
    expect(task.priority).toBe(Priority.HIGH);
    expect(task.tags).toEqual(["home"]);
    expect(task.timeZone).toBe("Europe/Berlin");
    expect(task.dueTime && timestampDate(task.dueTime).toISOString()).toBe(DUE.toISOString());
    expect(task.recurrence?.rrule).toBe("FREQ=MONTHLY;BYMONTHDAY=1");
    expect(task.reminders[0]?.trigger).toMatchObject({ case: "beforeDue", value: { seconds: 3600n } });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(input.value).toBe("");

    // The next task gets its own request id.
    await type(input, "another");
    fireEvent.submit(input.closest("form") as HTMLFormElement);
    await waitFor(() => expect(createTask).toHaveBeenCalledTimes(2));
    expect(createTask.mock.calls[1]?.[1]).not.toBe(requestId);
  });

  it("gives the text back with the reason when creating fails, and retries with the same id", async () => {
    const createTask = vi
      .fn<(t: Task, id: string) => Promise<Task>>()
      .mockRejectedValueOnce(new ConnectError("", Code.Unavailable))
      .mockResolvedValueOnce(create(TaskSchema, { id: "x", title: "Pay rent" }));
    const { input, onCreated } = setup(createTask);
    await type(input, "Pay rent");
    fireEvent.submit(input.closest("form") as HTMLFormElement);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Can't reach the server");
    expect(input.value).toBe("Pay rent");
    fireEvent.submit(input.closest("form") as HTMLFormElement);
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(createTask.mock.calls[1]?.[1]).toBe(createTask.mock.calls[0]?.[1]);
  });
});
