/**
 * A unit test of the chat panel component: the Chat client is a fake function passed as the
 * `chat` prop (and `getTask` likewise), so no server runs here — the real AssistantService and
 * the live task list are covered by tests/e2e/assistant.e2e.ts in Chromium against `bun start`.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@solidjs/testing-library";
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import { type ChatResponse, ChatResponseSchema } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { Priority, type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createSignal } from "solid-js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ChatCall, ChatPanel } from "./ChatPanel";
import { ToastProvider } from "./Toast";

afterEach(cleanup);
beforeEach(() => sessionStorage.clear());

const task = (id: string, title: string, extra: MessageInitShape<typeof TaskSchema> = {}): Task =>
  create(TaskSchema, { id, title, status: TaskStatus.OPEN, etag: "1", ...extra });

const reply = (
  conversationId: string,
  text: string,
  actions: Array<{ type: ActionType; tasks?: Task[]; summary?: string }> = [],
): ChatResponse =>
  create(ChatResponseSchema, {
    conversationId,
    reply: text,
    actions: actions.map((a) => ({ type: a.type, tasks: a.tasks ?? [], summary: a.summary ?? "" })),
  });

/** A promise the test settles by hand, to look at the panel while a message is in flight. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(options: {
  chat: ChatCall;
  getTask?: (id: string) => Promise<Task | undefined>;
  storageKey?: string;
}) {
  const onClose = vi.fn();
  const getTask = vi.fn(options.getTask ?? (async (id: string) => task(id, `Task ${id}`)));
  const [open, setOpen] = createSignal(true);
  const view = render(() => (
    <ToastProvider>
      <ChatPanel
        open={open()}
        onClose={onClose}
        chat={options.chat}
        getTask={getTask}
        storageKey={options.storageKey}
      />
    </ToastProvider>
  ));
  const input = screen.getByRole("textbox", { name: "Message the assistant" }) as HTMLInputElement;
  const send = (text: string) => {
    input.value = text;
    fireEvent.input(input);
    // What Enter in the box does: submit its form (real key presses are covered in the e2e test).
    fireEvent.submit(input.form as HTMLFormElement);
  };
  return { onClose, getTask, input, send, setOpen, view };
}

const conversation = () => screen.getByRole("list", { name: "Conversation" });

describe("ChatPanel", () => {
  it("sends a message, shows it pending, then the reply; follow-ups carry the conversation id", async () => {
    const first = deferred<ChatResponse>();
    const chat = vi.fn<ChatCall>().mockReturnValueOnce(first.promise);
    const { input, send } = setup({ chat });
    expect(document.activeElement).toBe(input);

    send("add buy milk tomorrow at 6pm !high");
    expect(chat).toHaveBeenCalledWith({ conversationId: "", message: "add buy milk tomorrow at 6pm !high" });
    expect(input.value).toBe("");
    expect(within(conversation()).getByText("add buy milk tomorrow at 6pm !high")).toBeTruthy();
    expect(conversation().getAttribute("aria-busy")).toBe("true");
    expect(screen.getByRole("status").textContent).toContain("working on it");
    // A second message waits for the first answer.
    send("another");
    expect(chat).toHaveBeenCalledTimes(1);

    first.resolve(
      reply("conv-1", 'Created "buy milk", due Fri, Nov 27, 6:00 PM, high.', [
        { type: ActionType.CREATE_TASK, tasks: [task("t1", "buy milk")], summary: 'Created "buy milk"' },
      ]),
    );
    await within(conversation()).findByText(/Created "buy milk", due Fri/);
    // The summary repeats the reply here, so it is said once.
    expect(within(conversation()).getAllByText(/Created "buy milk"/)).toHaveLength(1);
    expect(within(conversation()).getByRole("button", { name: "buy milk" })).toBeTruthy();
    expect(conversation().getAttribute("aria-busy")).toBe("false");
    expect(screen.getByRole("status").textContent).toContain('Assistant: Created "buy milk"');

    chat.mockResolvedValueOnce(
      reply("conv-1", 'Changed "buy milk": priority urgent.', [
        { type: ActionType.UPDATE_TASK, tasks: [task("t1", "buy milk", { priority: Priority.URGENT })] },
      ]),
    );
    send("make it urgent");
    await within(conversation()).findByText(/priority urgent/);
    expect(chat).toHaveBeenLastCalledWith({ conversationId: "conv-1", message: "make it urgent" });
  });

  it("shows one chip per task touched, styles completed ones, and opens a chip's task in the editor", async () => {
    const chat = vi.fn<ChatCall>().mockResolvedValue(
      reply("c", "Done.", [
        {
          type: ActionType.COMPLETE_TASK,
          tasks: [task("t2", "call mom", { status: TaskStatus.COMPLETED })],
          summary: 'Completed "call mom"',
        },
        {
          type: ActionType.LIST_TASKS,
          tasks: [task("t3", "report"), task("t4", "dentist")],
          summary: "2 tasks due this week",
        },
        { type: ActionType.DELETE_TASK, tasks: [task("t5", "old thing")], summary: 'Deleted "old thing"' },
      ]),
    );
    const fresh = task("t3", "report (fresh)");
    const { send, getTask } = setup({ chat, getTask: async () => fresh });
    send("several things");

    const completed = await screen.findByRole("list", { name: "Completed" });
    const done = within(completed).getByRole("button", { name: "call mom (completed)" });
    expect(done.classList.contains("chat-chip--completed")).toBe(true);
    expect(screen.getByText('Completed "call mom"')).toBeTruthy();
    const found = screen.getByRole("list", { name: "Found" });
    expect(
      within(found)
        .getAllByRole("button")
        .map((b) => b.textContent),
    ).toEqual(["report", "dentist"]);
    expect(screen.getByText("2 tasks due this week")).toBeTruthy();
    // A deleted task cannot be opened: no button.
    const deleted = screen.getByRole("list", { name: "Deleted" });
    expect(within(deleted).queryByRole("button")).toBeNull();
    expect(within(deleted).getByText("old thing")).toBeTruthy();

    fireEvent.click(within(found).getByRole("button", { name: "report" }));
    expect(getTask).toHaveBeenCalledWith("t3");
    // The editor opens with the task as it is now, not the snapshot of the answer.
    await waitFor(() =>
      expect(document.querySelector('dialog[aria-label="Edit task: report (fresh)"]')).toBeTruthy(),
    );
  });

  it("answers a clarifying question with the number of the chosen candidate", async () => {
    const chat = vi
      .fn<ChatCall>()
      .mockResolvedValueOnce(
        reply("conv-9", "Several tasks match “call”. Which one do you mean?", [
          {
            type: ActionType.CLARIFY,
            tasks: [task("a", "call mom"), task("b", "call dad")],
            summary: '2 tasks match "call"',
          },
        ]),
      )
      .mockResolvedValueOnce(
        reply("conv-9", 'Completed "call dad".', [
          {
            type: ActionType.COMPLETE_TASK,
            tasks: [task("b", "call dad", { status: TaskStatus.COMPLETED })],
          },
        ]),
      );
    const { send, input } = setup({ chat });
    send("done with call");
    const choices = await screen.findByRole("list", { name: "Which one?" });
    expect(
      within(choices)
        .getAllByRole("button")
        .map((b) => b.textContent),
    ).toEqual(["1. call mom", "2. call dad"]);

    fireEvent.click(within(choices).getByRole("button", { name: "2. call dad" }));
    expect(chat).toHaveBeenLastCalledWith({ conversationId: "conv-9", message: "2" });
    expect(document.activeElement).toBe(input);
    await screen.findByText('Completed "call dad".');
    // The question is answered: its candidates are now plain chips that open the task.
    const old = screen.getByRole("list", { name: "Which one?" });
    expect(
      within(old)
        .getAllByRole("button")
        .map((b) => b.textContent),
    ).toEqual(["call mom", "call dad"]);
  });

  it("shows a failure inline in words and sends the same message again on Try again", async () => {
    const chat = vi
      .fn<ChatCall>()
      .mockRejectedValueOnce(new ConnectError("upstream connect error", Code.Unavailable))
      .mockResolvedValueOnce(reply("c2", "Sorry, I didn't understand that, so I did nothing."));
    const { send } = setup({ chat });
    send("blorp");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Can't reach the server. Check your connection and try again.");
    expect(alert.textContent).not.toContain("upstream");

    fireEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    await within(conversation()).findByText(/didn't understand/);
    expect(chat).toHaveBeenCalledTimes(2);
    expect(chat).toHaveBeenLastCalledWith({ conversationId: "", message: "blorp" });
    expect(screen.queryByRole("alert")).toBeNull();
    // The person's message is shown once, not once per attempt.
    expect(within(conversation()).getAllByText("blorp")).toHaveLength(1);
  });

  it("starts a new conversation when the server no longer knows the old one", async () => {
    const chat = vi
      .fn<ChatCall>()
      .mockResolvedValueOnce(reply("old", "OK."))
      .mockRejectedValueOnce(new ConnectError("conversation not found", Code.NotFound))
      .mockResolvedValueOnce(reply("new", "Fine."));
    const { send } = setup({ chat });
    send("hello");
    await screen.findByText("OK.");
    send("again");
    await screen.findByText("Fine.");
    expect(chat.mock.calls.map((c) => c[0].conversationId)).toEqual(["", "old", ""]);
    expect(screen.getByText(/earlier conversation is gone/)).toBeTruthy();
  });

  it("shows an error toast when a chip's task is gone", async () => {
    const chat = vi
      .fn<ChatCall>()
      .mockResolvedValue(
        reply("c", "Created.", [{ type: ActionType.CREATE_TASK, tasks: [task("x", "gone")] }]),
      );
    const { send } = setup({ chat, getTask: () => Promise.reject(new ConnectError("nope", Code.NotFound)) });
    send("add gone");
    fireEvent.click(await screen.findByRole("button", { name: "gone" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("It no longer exists");
    expect(document.querySelector("dialog")).toBeNull();
  });

  it("closes on Escape, starts over on New conversation, and keeps the conversation per storage key", async () => {
    const chat = vi.fn<ChatCall>().mockResolvedValue(reply("kept", "Noted."));
    const first = setup({ chat, storageKey: "todo.chat.u1" });
    first.send("remember me");
    await screen.findByText("Noted.");

    fireEvent.keyDown(first.input, { key: "Escape" });
    expect(first.onClose).toHaveBeenCalledTimes(1);

    // A reload (a new panel on the same key) shows the conversation and continues it.
    cleanup();
    const second = setup({ chat, storageKey: "todo.chat.u1" });
    expect(within(conversation()).getByText("remember me")).toBeTruthy();
    second.send("and again");
    await waitFor(() =>
      expect(chat).toHaveBeenLastCalledWith({ conversationId: "kept", message: "and again" }),
    );
    await waitFor(() => expect(within(conversation()).getAllByText("Noted.")).toHaveLength(2));

    fireEvent.click(screen.getByRole("button", { name: "New conversation" }));
    expect(within(conversation()).queryByText("remember me")).toBeNull();
    expect(sessionStorage.getItem("todo.chat.u1")).toBeNull();
    second.send("fresh start");
    await waitFor(() =>
      expect(chat).toHaveBeenLastCalledWith({ conversationId: "", message: "fresh start" }),
    );
  });

  it("drops saved entries it cannot read instead of failing", () => {
    sessionStorage.setItem(
      "todo.chat.u2",
      JSON.stringify({
        conversationId: "c7",
        entries: [
          { id: 1, role: "user", text: "kept" },
          { id: 2, role: "assistant", text: "no actions field" },
          { id: 3, role: "weird", text: "x" },
          null,
        ],
      }),
    );
    setup({ chat: vi.fn<ChatCall>(), storageKey: "todo.chat.u2" });
    expect(
      within(conversation())
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["You: kept"]);
  });

  it("is hidden from assistive technology while closed and takes focus when opened", async () => {
    const chat = vi.fn<ChatCall>();
    const { setOpen, input } = setup({ chat });
    expect(screen.getByRole("dialog", { name: "Assistant" })).toBeTruthy();
    setOpen(false);
    expect(screen.queryByRole("dialog", { name: "Assistant" })).toBeNull();
    input.blur();
    setOpen(true);
    expect(document.activeElement).toBe(input);
  });
});
