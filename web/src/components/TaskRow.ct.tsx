import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { cleanup, fireEvent, render, screen } from "@solidjs/testing-library";
import { Priority, type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { describeRRuleFallback } from "../lib/format";
import { TaskRow, type TaskRowProps } from "./TaskRow";

afterEach(cleanup);

const NOW = new Date("2026-12-02T09:00:00Z"); // Wednesday, 10:00 in Berlin

function makeTask(patch: MessageInitShape<typeof TaskSchema> = {}): Task {
  return create(TaskSchema, {
    id: "t1",
    title: "Pay rent",
    description: "Bank transfer\nsecond line",
    status: TaskStatus.OPEN,
    priority: Priority.URGENT,
    tags: ["home", "money"],
    dueTime: timestampFromDate(new Date("2026-12-03T08:00:00Z")),
    timeZone: "Europe/Berlin",
    recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO" },
    reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(30 * 60_000) } }],
    ...patch,
  } as MessageInitShape<typeof TaskSchema>);
}

function renderRow(task: Task, extra: Partial<TaskRowProps> = {}) {
  const handlers = { onToggle: vi.fn(), onOpen: vi.fn(), onTag: vi.fn(), onSelect: vi.fn() };
  render(() => (
    <ul>
      <TaskRow
        task={task}
        now={NOW}
        timeZone="UTC"
        describeRecurrence={describeRRuleFallback}
        tagColor={(n) => (n === "home" ? "#ff0000" : undefined)}
        {...handlers}
        {...extra}
      />
    </ul>
  ));
  return handlers;
}

describe("TaskRow", () => {
  it("shows title, first description line, due in words, recurrence, reminder, tags and priority", () => {
    renderRow(makeTask());
    const item = screen.getByRole("listitem");
    expect(screen.getByRole("button", { name: "Pay rent" })).toBeTruthy();
    expect(item.textContent).toContain("Bank transfer");
    expect(item.textContent).not.toContain("second line");
    // The task's own zone (Berlin) wins over the account's (UTC).
    expect(screen.getByText("tomorrow 09:00").tagName).toBe("TIME");
    expect(screen.getByText("every Monday")).toBeTruthy();
    expect(screen.getByRole("img", { name: /1 reminder: 30 minutes before/ })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Filter by tag home" }).getAttribute("style")).toContain(
      "#ff0000",
    );
    const badge = item.querySelector(".priority-badge");
    expect(badge?.className).toContain("priority-badge--urgent");
    expect(badge?.textContent).toContain("Urgent");
    const box = screen.getByRole("checkbox", { name: "Complete Pay rent" }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    expect(box.className).toContain("task-check--urgent");
  });

  it("shows an overdue due time in red, and no badge without priority", () => {
    renderRow(
      makeTask({
        priority: Priority.UNSPECIFIED,
        dueTime: timestampFromDate(new Date("2026-11-30T08:00:00Z")),
        recurrence: undefined,
        reminders: [],
        tags: [],
      }),
    );
    const due = screen.getByText("Mon 30 Nov, 09:00").closest(".task-due");
    expect(due?.className).toContain("task-due--overdue");
    expect(due?.textContent).toContain("(overdue)");
    expect(document.querySelector(".priority-badge")).toBeNull();
    expect(document.querySelector(".task-recurrence")).toBeNull();
    expect(document.querySelector(".task-reminder")).toBeNull();
  });

  it("filters by a tag, opens on the title and toggles on the checkbox", () => {
    const task = makeTask();
    const h = renderRow(task);
    fireEvent.click(screen.getByRole("button", { name: "Filter by tag money" }));
    expect(h.onTag).toHaveBeenCalledWith("money");
    expect(h.onOpen).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Pay rent" }));
    expect(h.onOpen).toHaveBeenCalledWith(task);
    fireEvent.click(screen.getByRole("checkbox"));
    expect(h.onToggle).toHaveBeenCalledWith(task);
  });

  it("marks the selected row and strikes completed ones", () => {
    renderRow(makeTask({ status: TaskStatus.COMPLETED }), { selected: true });
    const item = screen.getByRole("listitem");
    expect(item.getAttribute("aria-current")).toBe("true");
    expect(item.tabIndex).toBe(0);
    expect(item.className).toContain("task-row--completed");
    expect((screen.getByRole("checkbox") as HTMLInputElement).checked).toBe(true);
  });
});
