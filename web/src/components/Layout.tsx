/**
 * The signed-in frame: a top bar (menu, name, connection hint, bell, theme toggle, account and sign
 * out) and a sidebar of saved views and tags beside the page. Below 900 px the sidebar folds away
 * behind the menu button. The assistant's button (and `a`) opens the lazily loaded chat panel.
 */
import { A, useLocation } from "@solidjs/router";
import { createEffect, createSignal, For, type JSX, on, Show } from "solid-js";
import { useSession } from "../api/session";
import { useNow } from "../state/clock";
import type { NotificationCenter } from "../state/notifications";
import type { TagCatalog } from "../state/tags";
import type { TaskFeed } from "../state/task-feed";
import type { Theme } from "../state/theme";
import { ChatButton, ChatHost, createChatLauncher } from "./ChatLauncher";
import {
  AlertIcon,
  BellIcon,
  CalendarIcon,
  CheckCircleIcon,
  InboxIcon,
  MenuIcon,
  MoonIcon,
  SignOutIcon,
  SunIcon,
  TagIcon,
} from "./Icons";
import { NotificationBell } from "./NotificationBell";

/** Props of {@link Layout}. */
export interface LayoutProps {
  readonly children?: JSX.Element;
  readonly theme: Theme;
  onToggleTheme(): void;
  readonly notifications: NotificationCenter;
  readonly feed: TaskFeed;
  readonly tags: TagCatalog;
}

const VIEWS: { href: string; label: string; icon: (p: { size?: number }) => JSX.Element }[] = [
  { href: "/", label: "Tasks", icon: InboxIcon },
  { href: "/?due=today", label: "Today", icon: CalendarIcon },
  { href: "/?due=week", label: "Next 7 days", icon: CalendarIcon },
  { href: "/?due=overdue", label: "Overdue", icon: AlertIcon },
  { href: "/?status=completed", label: "Completed", icon: CheckCircleIcon },
];

/** The app frame. */
export function Layout(props: LayoutProps): JSX.Element {
  const session = useSession();
  const location = useLocation();
  const now = useNow();
  const [menuOpen, setMenuOpen] = createSignal(false);
  const chat = createChatLauncher();
  const current = () => `${location.pathname}${location.search}`;
  createEffect(on(current, () => setMenuOpen(false), { defer: true }));

  const topTags = () =>
    [...props.tags.tags()]
      .filter((t) => t.taskCount > 0)
      .sort((a, b) => b.taskCount - a.taskCount)
      .slice(0, 12);

  return (
    <div class="app" classList={{ "app--chat-open": chat.open() }}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <button
          type="button"
          class="icon-button topbar__menu"
          aria-label="Menu"
          aria-expanded={menuOpen()}
          aria-controls="sidebar"
          onClick={() => setMenuOpen(!menuOpen())}
        >
          <MenuIcon size={20} />
        </button>
        <A href="/" class="brand" end>
          <CheckCircleIcon size={22} class="brand__mark" />
          <span>Todo</span>
        </A>
        <div class="topbar__spacer" />
        <Show when={props.feed.state() === "retrying"}>
          <span class="live-hint" role="status">
            Reconnecting…
          </span>
        </Show>
        <ChatButton chat={chat} />
        <NotificationBell center={props.notifications} now={now()} />
        <button
          type="button"
          class="icon-button"
          aria-label={props.theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
          title={props.theme === "dark" ? "Light theme" : "Dark theme"}
          onClick={() => props.onToggleTheme()}
        >
          <Show when={props.theme === "dark"} fallback={<MoonIcon size={20} />}>
            <SunIcon size={20} />
          </Show>
        </button>
        <div class="account">
          <A href="/settings" class="account__email" title={`Settings of ${session.user()?.email ?? ""}`}>
            {session.user()?.email}
          </A>
          <button
            type="button"
            class="button button--quiet account__signout"
            onClick={() => session.signOut()}
          >
            <SignOutIcon size={16} />
            <span>Sign out</span>
          </button>
        </div>
      </header>
      <div class="app__body">
        <nav id="sidebar" class="sidebar" classList={{ "sidebar--open": menuOpen() }} aria-label="Views">
          <ul class="sidebar__list">
            <For each={VIEWS}>
              {(v) => (
                <li>
                  <a
                    href={v.href}
                    class="sidebar__link"
                    aria-current={current() === v.href ? "page" : undefined}
                  >
                    <v.icon size={18} />
                    <span>{v.label}</span>
                  </a>
                </li>
              )}
            </For>
            <li>
              <a
                href="/tags"
                class="sidebar__link"
                aria-current={location.pathname === "/tags" ? "page" : undefined}
              >
                <TagIcon size={18} />
                <span>Tags</span>
              </a>
            </li>
            <li>
              <a
                href="/notifications"
                class="sidebar__link"
                aria-current={location.pathname === "/notifications" ? "page" : undefined}
              >
                <BellIcon size={18} />
                <span>Notifications</span>
                <Show when={props.notifications.unread() > 0}>
                  <span class="sidebar__count">{props.notifications.unread()}</span>
                </Show>
              </a>
            </li>
            <li>
              <a
                href="/settings"
                class="sidebar__link"
                aria-current={location.pathname === "/settings" ? "page" : undefined}
              >
                <CalendarIcon size={18} />
                <span>Settings</span>
              </a>
            </li>
          </ul>
          <Show when={topTags().length > 0}>
            <h2 class="sidebar__heading">Your tags</h2>
            <ul class="sidebar__list">
              <For each={topTags()}>
                {(t) => {
                  const href = () => `/?tags=${encodeURIComponent(t.name)}`;
                  return (
                    <li>
                      <a
                        href={href()}
                        class="sidebar__link"
                        aria-current={current() === href() ? "page" : undefined}
                      >
                        <span class="tag-dot" style={{ background: t.color || "var(--muted)" }} />
                        <span class="sidebar__tag-name">{t.name}</span>
                        <span class="sidebar__count">{t.taskCount}</span>
                      </a>
                    </li>
                  );
                }}
              </For>
            </ul>
          </Show>
          <p class="sidebar__keys">
            <kbd>n</kbd> new · <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>x</kbd> done ·{" "}
            <kbd>e</kbd> edit · <kbd>a</kbd> assistant
          </p>
        </nav>
        <Show when={menuOpen()}>
          <button
            type="button"
            class="sidebar-backdrop"
            aria-label="Close menu"
            tabIndex={-1}
            onClick={() => setMenuOpen(false)}
          />
        </Show>
        <main id="main" class="main" tabIndex={-1}>
          {props.children}
        </main>
      </div>
      <ChatHost chat={chat} />
    </div>
  );
}
