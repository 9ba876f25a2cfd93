/**
 * The bell in the header: the unread count as a badge (and in its accessible name), and a small
 * panel with the latest notifications, "Mark all read", a link to the Notifications page and — only
 * when the person clicks it — the request to show browser notifications.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { A } from "@solidjs/router";
import { createSignal, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { formatRelative } from "../lib/format";
import type { NotificationCenter } from "../state/notifications";
import { BellIcon } from "./Icons";

/** The bell and its panel. */
export function NotificationBell(props: { center: NotificationCenter; now: Date }): JSX.Element {
  const [open, setOpen] = createSignal(false);
  let root: HTMLDivElement | undefined;
  let button: HTMLButtonElement | undefined;
  const c = props.center;

  onMount(() => {
    const onDown = (e: PointerEvent) => {
      if (open() && root && !root.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && open()) {
        setOpen(false);
        button?.focus();
      }
    };
    document.addEventListener("pointerdown", onDown);
    document.addEventListener("keydown", onKey);
    onCleanup(() => {
      document.removeEventListener("pointerdown", onDown);
      document.removeEventListener("keydown", onKey);
    });
  });

  const toggle = () => {
    const next = !open();
    setOpen(next);
    if (next) void c.refresh();
  };
  const label = () => (c.unread() > 0 ? `Notifications, ${c.unread()} unread` : "Notifications");

  return (
    <div class="bell" ref={root}>
      <button
        ref={button}
        type="button"
        class="icon-button bell__button"
        aria-label={label()}
        aria-expanded={open()}
        aria-controls="bell-panel"
        onClick={toggle}
      >
        <BellIcon size={20} />
        <Show when={c.unread() > 0}>
          <span class="bell__badge" aria-hidden="true">
            {c.unread() > 99 ? "99+" : c.unread()}
          </span>
        </Show>
      </button>
      <Show when={open()}>
        <section id="bell-panel" class="bell__panel" aria-label="Latest notifications">
          <header class="bell__header">
            <h2>Notifications</h2>
            <button
              type="button"
              class="link-button"
              disabled={c.unread() === 0}
              onClick={() => void c.markAllRead().catch(() => {})}
            >
              Mark all read
            </button>
          </header>
          <Show when={c.recent().length > 0} fallback={<p class="bell__empty">No notifications yet.</p>}>
            <ul class="bell__list">
              <For each={c.recent()}>
                {(n) => (
                  <li classList={{ "bell__item--unread": !n.readTime }} class="bell__item">
                    <button
                      type="button"
                      class="bell__item-button"
                      onClick={() => {
                        if (!n.readTime) void c.markRead(n.id).catch(() => {});
                      }}
                    >
                      <span class="bell__title">{n.title}</span>
                      <Show when={n.body}>
                        <span class="bell__body">{n.body}</span>
                      </Show>
                      <Show when={n.createTime}>
                        {(t) => (
                          <span class="bell__time">{formatRelative(timestampDate(t()), props.now)}</span>
                        )}
                      </Show>
                    </button>
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <footer class="bell__footer">
            <A href="/notifications" onClick={() => setOpen(false)}>
              See all notifications
            </A>
            <Show when={c.permission() === "default"}>
              <button type="button" class="link-button" onClick={() => void c.requestPermission()}>
                Enable desktop notifications
              </button>
            </Show>
            <Show when={c.permission() === "denied"}>
              <span class="field-help">Desktop notifications are blocked in this browser.</span>
            </Show>
          </footer>
        </section>
      </Show>
    </div>
  );
}
