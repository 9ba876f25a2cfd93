/**
 * What the first page needs of the assistant: its state (open or not), the top-bar button, the `a`
 * shortcut and the host that mounts the chat panel. The panel itself (ChatPanel.tsx, with the
 * AssistantService client) is a separate chunk loaded on first use — or when the pointer or focus
 * reaches the button — so the initial JavaScript does not grow with it. Once loaded the panel stays
 * mounted while the person is signed in, so closing and reopening keeps the conversation.
 */
import {
  type Accessor,
  createSignal,
  ErrorBoundary,
  type JSX,
  lazy,
  onCleanup,
  onMount,
  Show,
  Suspense,
} from "solid-js";
import { useSession } from "../api/session";
import { isTyping } from "../lib/keys";
import { ChatIcon } from "./Icons";

const ChatPanel = lazy(() => import("./ChatPanel"));

/** The sessionStorage key prefix of saved conversations (ChatPanel writes `<prefix><user id>`). */
export const CHAT_STORAGE_PREFIX = "todo.chat.";

/** Starts loading the panel's code (on hover or focus of the button), so opening feels instant. */
export function preloadChat(): void {
  void import("./ChatPanel").catch(() => {});
}

/** Whether the chat panel is open, and the ways to change that. */
export interface ChatLauncher {
  readonly open: Accessor<boolean>;
  /** Whether the panel has been asked for at least once (it is mounted from then on). */
  readonly mounted: Accessor<boolean>;
  show(): void;
  hide(): void;
  toggle(): void;
}

/**
 * Creates the launcher state. Opening remembers what had focus, and closing gives focus back to it
 * (or to the top-bar button when that element is gone), as a dialog should.
 */
export function createChatLauncher(): ChatLauncher {
  const [open, setOpen] = createSignal(false);
  const [mounted, setMounted] = createSignal(false);
  let opener: HTMLElement | null = null;
  const show = () => {
    if (open()) {
      document.getElementById("chat-input")?.focus();
      return;
    }
    const active = document.activeElement;
    opener = active instanceof HTMLElement && !active.closest("#chat-panel") ? active : null;
    setMounted(true);
    setOpen(true);
  };
  const hide = () => {
    if (!open()) return;
    setOpen(false);
    const back =
      opener?.isConnected && opener !== document.body
        ? opener
        : document.querySelector<HTMLElement>("[data-chat-button]");
    opener = null;
    back?.focus();
  };
  return { open, mounted, show, hide, toggle: () => (open() ? hide() : show()) };
}

/** The top-bar button that opens and closes the assistant (shortcut `a`). */
export function ChatButton(props: { chat: ChatLauncher }): JSX.Element {
  return (
    <button
      type="button"
      class="icon-button chat-button"
      classList={{ "chat-button--open": props.chat.open() }}
      data-chat-button
      aria-label="Assistant"
      title="Assistant (a)"
      aria-expanded={props.chat.open()}
      aria-controls={props.chat.mounted() ? "chat-panel" : undefined}
      onPointerEnter={preloadChat}
      onFocus={preloadChat}
      onClick={() => props.chat.toggle()}
    >
      <ChatIcon size={20} />
    </button>
  );
}

/**
 * Mounts the lazily loaded panel once it has been asked for, and owns the `a` shortcut. Signing
 * out unmounts it (the shell is rebuilt per account) and forgets the saved conversations.
 */
export function ChatHost(props: { chat: ChatLauncher }): JSX.Element {
  const session = useSession();
  onMount(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "a" || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isTyping(e.target) || document.querySelector("dialog[open]")) return;
      e.preventDefault();
      props.chat.show();
    };
    document.addEventListener("keydown", onKey);
    onCleanup(() => document.removeEventListener("keydown", onKey));
  });
  onCleanup(() => {
    if (session.token()) return; // only a sign-out forgets the conversation
    try {
      for (const key of Object.keys(sessionStorage))
        if (key.startsWith(CHAT_STORAGE_PREFIX)) sessionStorage.removeItem(key);
    } catch {
      // storage unavailable: nothing was saved
    }
  });
  const storageKey = () => {
    const id = session.user()?.id;
    return id ? `${CHAT_STORAGE_PREFIX}${id}` : undefined;
  };
  return (
    <Show when={props.chat.mounted()}>
      <ErrorBoundary
        fallback={(err, reset) => (
          <section
            class="chat-panel"
            classList={{ "chat-panel--open": props.chat.open() }}
            role="alert"
            aria-label="Assistant"
          >
            <p class="chat-panel__fallback">
              The assistant could not be loaded: {String(err?.message ?? err)}
            </p>
            <div class="chat-panel__fallback">
              <button type="button" class="button" onClick={reset}>
                Try again
              </button>{" "}
              <button type="button" class="button button--quiet" onClick={() => props.chat.hide()}>
                Close
              </button>
            </div>
          </section>
        )}
      >
        <Suspense
          fallback={
            <section
              class="chat-panel"
              classList={{ "chat-panel--open": props.chat.open() }}
              aria-label="Assistant"
              aria-busy="true"
            >
              <p class="chat-panel__fallback">Loading the assistant…</p>
            </section>
          }
        >
          <ChatPanel open={props.chat.open()} onClose={() => props.chat.hide()} storageKey={storageKey()} />
        </Suspense>
      </ErrorBoundary>
    </Show>
  );
}
