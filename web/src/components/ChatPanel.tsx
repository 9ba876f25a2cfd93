/**
 * The assistant's chat panel (issue 6): the conversation with `AssistantService.Chat`, a slide-over
 * on the right on wide screens and the whole screen on narrow ones. Each answer shows its reply and
 * its actions — a summary line and one chip per task touched; a chip opens the task in the app's
 * editor dialog, and the candidates of a "which one?" question (CLARIFY) are chips that answer it
 * with their number. The conversation id is kept, so follow-ups ("make it urgent") work, and the
 * conversation is saved in sessionStorage (per user) so a reload keeps it; "New conversation"
 * starts over. The task list needs no help from here: it follows the WatchTasks feed.
 *
 * This module is its own chunk, loaded by ChatLauncher.tsx on first use (the default export).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { AssistantService, type ChatResponse } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createEffect, createSignal, For, type JSX, on, onCleanup, onMount, Show } from "solid-js";
import { codeOf, errorMessage, isAbort } from "../api/errors";
import { useClient } from "../api/transport";
import {
  actionsOf,
  type ChatChip,
  type ChatEntry,
  type NewEntry,
  readSaved,
  writeSaved,
} from "../lib/chat-conversation";
import { isTyping } from "../lib/keys";
import { ChatChips } from "./ChatChips";
import { EditorDialog } from "./EditorDialog";
import { useToasts } from "./Toast";

/** One call of `AssistantService.Chat`: what the panel needs of the client (tests pass a fake). */
export type ChatCall = (req: { conversationId: string; message: string }) => Promise<ChatResponse>;

/** Props of {@link ChatPanel}. */
export interface ChatPanelProps {
  /** Whether the panel is shown; it stays mounted while closed so the conversation survives. */
  readonly open: boolean;
  /** Asks the host to close the panel (the close button, Escape). */
  onClose(): void;
  /** Sends a message; by default `AssistantService.Chat` on the app's transport. */
  readonly chat?: ChatCall;
  /** Reads a task before the editor opens; by default `TaskService.GetTask` on the app's transport. */
  readonly getTask?: (id: string) => Promise<Task | undefined>;
  /** The sessionStorage key to save the conversation under (per user); nothing is saved without it. */
  readonly storageKey?: string | undefined;
}

/** Examples for an empty conversation (clicking one puts it in the box). */
const EXAMPLES = [
  "add buy milk tomorrow at 6pm !high",
  "what's due this week?",
  "make it urgent",
  "mark call mom as done",
] as const;

const MAX_MESSAGE = 2000;

/**
 * Keeps the task page's one-letter shortcuts (`x` complete, `e` edit, …, which read
 * `defaultPrevented`) from acting on the list while the focus is on a button in here.
 */
function guardShortcuts(el: HTMLElement): void {
  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    if (/^[a-z/]$/i.test(e.key)) e.preventDefault();
  };
  el.addEventListener("keydown", onKey);
  onCleanup(() => el.removeEventListener("keydown", onKey));
}

/** The chat panel (see the module comment). */
export function ChatPanel(props: ChatPanelProps): JSX.Element {
  const toasts = useToasts();
  const chat: ChatCall =
    props.chat ??
    (
      (client) => (req) =>
        client.chat(req)
    )(useClient(AssistantService));
  const getTask =
    props.getTask ??
    (
      (client) => async (id: string) =>
        (await client.getTask({ id })).task
    )(useClient(TaskService));

  const saved = readSaved(props.storageKey);
  const [conversationId, setConversationId] = createSignal(saved?.conversationId ?? "");
  const [entries, setEntries] = createSignal<readonly ChatEntry[]>(saved?.entries ?? []);
  const [draft, setDraft] = createSignal("");
  const [pending, setPending] = createSignal(false);
  const [announcement, setAnnouncement] = createSignal("");
  const [editing, setEditing] = createSignal<Task>();
  const [opening, setOpening] = createSignal<string>();
  let nextId = Math.max(0, ...(saved?.entries ?? []).map((e) => e.id)) + 1;
  let input!: HTMLInputElement;
  let log!: HTMLOListElement;
  let panel!: HTMLElement;
  let editorWrap!: HTMLDivElement;

  const push = (entry: NewEntry) => setEntries((l) => [...l, { ...entry, id: nextId++ } as ChatEntry]);

  createEffect(() => writeSaved(props.storageKey, { conversationId: conversationId(), entries: entries() }));

  // Focus the box when the panel opens (the host gives focus back when it closes).
  createEffect(
    on(
      () => props.open,
      (open) => {
        if (open) input.focus();
      },
    ),
  );

  // Keep the newest message in view.
  createEffect(
    on([() => entries().length, pending], () => {
      log.scrollTop = log.scrollHeight;
    }),
  );

  onMount(() => {
    guardShortcuts(panel);
    guardShortcuts(editorWrap);
  });

  /** Sends `text`; `retry` resends after a failure without repeating the person's bubble. */
  const send = async (text: string, retry = false) => {
    const message = text.trim();
    if (!message || pending()) return;
    if (!retry) push({ role: "user", text: message });
    setPending(true);
    setAnnouncement("The assistant is working on it…");
    try {
      let res: ChatResponse;
      try {
        res = await chat({ conversationId: conversationId(), message });
      } catch (err) {
        // The conversation is gone on the server (expired, another database): start a new one.
        if (codeOf(err) !== Code.NotFound || !conversationId()) throw err;
        setConversationId("");
        push({
          role: "note",
          text: "The earlier conversation is gone on the server, so this starts a new one.",
        });
        res = await chat({ conversationId: "", message });
      }
      setConversationId(res.conversationId);
      push({ role: "assistant", text: res.reply, actions: actionsOf(res) });
      setAnnouncement(`Assistant: ${res.reply}`);
    } catch (err) {
      if (isAbort(err)) {
        setAnnouncement("");
        return;
      }
      const text = errorMessage(err);
      push({ role: "error", text, retry: message });
      setAnnouncement("");
    } finally {
      setPending(false);
    }
  };

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    const text = draft();
    if (!text.trim() || pending()) return;
    setDraft("");
    void send(text);
  };

  const retry = (entry: ChatEntry & { role: "error" }) => {
    setEntries((l) => l.filter((x) => x.id !== entry.id));
    void send(entry.retry, true);
    input.focus();
  };

  const startOver = () => {
    setEntries([]);
    setConversationId("");
    setDraft("");
    setAnnouncement("New conversation.");
    input.focus();
  };

  const openTask = async (chip: ChatChip) => {
    if (opening()) return;
    setOpening(chip.id);
    try {
      const task = await getTask(chip.id);
      if (!task) throw new ConnectError("task not found", Code.NotFound);
      setEditing(task);
    } catch (err) {
      if (!isAbort(err)) toasts.show({ kind: "error", message: errorMessage(err) });
    } finally {
      setOpening(undefined);
    }
  };

  const latestId = () => entries().at(-1)?.id;

  return (
    <>
      <section
        ref={panel}
        id="chat-panel"
        class="chat-panel"
        classList={{ "chat-panel--open": props.open }}
        role="dialog"
        aria-modal="false"
        aria-labelledby="chat-panel-title"
        aria-hidden={!props.open}
        // Closed, nothing in it can take focus, even while it slides out (aria-hidden-focus).
        inert={!props.open}
        onKeyDown={(e) => {
          if (e.key === "Escape" && !editing()) {
            e.preventDefault();
            props.onClose();
          }
        }}
      >
        {/* A div, not <header>: inside role="dialog" a header would be a second page banner. */}
        <div class="chat-panel__head">
          <h2 id="chat-panel-title" class="chat-panel__title">
            Assistant
          </h2>
          <button
            type="button"
            class="button button--quiet chat-panel__new"
            disabled={pending() || (entries().length === 0 && !conversationId())}
            onClick={startOver}
          >
            New conversation
          </button>
          <button
            type="button"
            class="icon-button"
            aria-label="Close assistant"
            title="Close (Esc)"
            onClick={() => props.onClose()}
          >
            ×
          </button>
        </div>
        <ol ref={log} class="chat-log" aria-label="Conversation" aria-busy={pending()}>
          <Show when={entries().length === 0}>
            <li class="chat-empty">
              <p>Tell me what to do with your tasks, in plain words. For example:</p>
              <ul class="chat-examples">
                <For each={EXAMPLES}>
                  {(ex) => (
                    <li>
                      <button
                        type="button"
                        class="link-button"
                        onClick={() => {
                          setDraft(ex);
                          input.focus();
                        }}
                      >
                        {ex}
                      </button>
                    </li>
                  )}
                </For>
              </ul>
            </li>
          </Show>
          <For each={entries()}>
            {(entry) => (
              <li class={`chat-msg chat-msg--${entry.role}`}>
                {entry.role === "user" ? (
                  <p class="chat-msg__bubble">
                    <span class="visually-hidden">You: </span>
                    {entry.text}
                  </p>
                ) : entry.role === "assistant" ? (
                  <div class="chat-msg__bubble">
                    <p class="chat-msg__text">
                      <span class="visually-hidden">Assistant: </span>
                      {entry.text}
                    </p>
                    <For each={entry.actions}>
                      {(action) => (
                        <div class="chat-action">
                          {/* The reply often is the summary already: say it once. */}
                          <Show when={action.summary && !entry.text.includes(action.summary)}>
                            <p class="chat-action__summary">{action.summary}</p>
                          </Show>
                          <ChatChips
                            action={action}
                            latest={entry.id === latestId()}
                            pending={pending()}
                            opening={opening()}
                            onChoose={(n) => {
                              void send(String(n));
                              input.focus();
                            }}
                            onOpen={(chip) => void openTask(chip)}
                          />
                        </div>
                      )}
                    </For>
                  </div>
                ) : entry.role === "note" ? (
                  <p class="chat-msg__note">{entry.text}</p>
                ) : (
                  <div class="chat-msg__error" role="alert">
                    <span>Not sent: {entry.text}</span>
                    <Show when={entry.id === latestId()}>
                      <button
                        type="button"
                        class="link-button"
                        disabled={pending()}
                        onClick={() => retry(entry as ChatEntry & { role: "error" })}
                      >
                        Try again
                      </button>
                    </Show>
                  </div>
                )}
              </li>
            )}
          </For>
          <Show when={pending()}>
            <li class="chat-msg chat-msg--assistant chat-msg--pending" aria-hidden="true">
              <span class="chat-dots">
                <span />
                <span />
                <span />
              </span>
            </li>
          </Show>
        </ol>
        <p class="visually-hidden" role="status" aria-live="polite">
          {announcement()}
        </p>
        <form class="chat-form" onSubmit={submit}>
          <label class="visually-hidden" for="chat-input">
            Message the assistant
          </label>
          <input
            ref={input}
            id="chat-input"
            class="chat-form__input"
            type="text"
            autocomplete="off"
            enterkeyhint="send"
            maxLength={MAX_MESSAGE}
            placeholder="Ask or tell the assistant…"
            value={draft()}
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
          <button
            type="submit"
            class="button button--primary chat-form__send"
            disabled={pending() || !draft().trim()}
          >
            Send
          </button>
        </form>
      </section>
      <div ref={editorWrap}>
        <Show when={editing()} keyed>
          {(task) => (
            <EditorDialog
              task={task}
              onClose={() => setEditing(undefined)}
              onSaved={(t) => {
                setEditing(undefined);
                toasts.show({ message: `Saved “${t.title}”` });
              }}
            />
          )}
        </Show>
      </div>
    </>
  );
}

export default ChatPanel;
