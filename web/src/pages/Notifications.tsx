/**
 * The Notifications page: the inbox, unread first. The "Unread" section holds every unread entry
 * (ListNotifications with `unread_only`), the "Earlier" section pages through the rest, newest
 * first, loading more as it scrolls into view. Entries marked read stay where they are (unbolded)
 * until the next visit, so nothing jumps under the pointer. New entries arrive live from
 * WatchNotifications, which reconnects by itself and refetches what it missed. Clicking an entry
 * marks it read and opens its task (`/?task=<id>`).
 */
import { timestampDate, timestampNow } from "@bufbuild/protobuf/wkt";
import type { Notification } from "@todo/gen/todo/notification/v1/notification_pb";
import {
  NotificationService,
  type WatchNotificationsResponse,
} from "@todo/gen/todo/notification/v1/notification_service_pb";
import { batch, createSignal, createUniqueId, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { errorMessage } from "../api/errors";
import { keepStreaming, type LiveState } from "../api/live";
import { useClient } from "../api/transport";
import { formatFull, formatRelative } from "../lib/format";
import { useNow } from "../state/clock";
import { useNotificationCenter } from "../state/notifications";
import { isFatalStreamError } from "../state/task-feed";
import "../components/editor/editor.css";

/** How many entries one ListNotifications page asks for. */
export const PAGE_SIZE = 50;
/** At most this many unread entries are loaded into the Unread section. */
const MAX_UNREAD_PAGES = 10;

/** The URL that opens a task (the task list reads `?task=`). */
export function taskHref(taskId: string): string {
  return `/?task=${encodeURIComponent(taskId)}`;
}

/** Props of {@link NotificationsPage} (all optional; tests shorten the reconnect delay). */
export interface NotificationsPageProps {
  reconnectDelayMs?: number;
}

/** The inbox page. */
export function NotificationsPage(props: NotificationsPageProps = {}): JSX.Element {
  const client = useClient(NotificationService);
  const center = useNotificationCenter();
  const now = useNow();
  const hid = createUniqueId();
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  const [unread, setUnread] = createSignal<Notification[]>([]);
  const [earlier, setEarlier] = createSignal<Notification[]>([]);
  const [unreadCount, setUnreadCount] = createSignal(0);
  const [nextToken, setNextToken] = createSignal("");
  const [loading, setLoading] = createSignal(true);
  const [loadingMore, setLoadingMore] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [live, setLive] = createSignal<LiveState>("connecting");
  const [status, setStatus] = createSignal("");

  const known = () => new Set([...unread(), ...earlier()].map((n) => n.id));

  /** Loads the inbox from the top: every unread entry, then the first page of the rest. */
  const load = async () => {
    setError(undefined);
    try {
      const fresh: Notification[] = [];
      let token = "";
      for (let page = 0; page < MAX_UNREAD_PAGES; page++) {
        const res = await client.listNotifications({
          pageSize: PAGE_SIZE,
          pageToken: token,
          unreadOnly: true,
        });
        fresh.push(...res.notifications);
        token = res.nextPageToken;
        if (!token) break;
      }
      const all = await client.listNotifications({ pageSize: PAGE_SIZE });
      const unreadIds = new Set(fresh.map((n) => n.id));
      batch(() => {
        setUnread(fresh);
        setEarlier(all.notifications.filter((n) => !unreadIds.has(n.id) && n.readTime));
        setNextToken(all.nextPageToken);
        setUnreadCount(all.unreadCount);
      });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  };

  const loadMore = async () => {
    const token = nextToken();
    if (!token || loadingMore()) return;
    setLoadingMore(true);
    try {
      const res = await client.listNotifications({ pageSize: PAGE_SIZE, pageToken: token });
      const have = known();
      batch(() => {
        setEarlier((l) => [...l, ...res.notifications.filter((n) => !have.has(n.id) && n.readTime)]);
        setNextToken(res.nextPageToken);
        setUnreadCount(res.unreadCount);
      });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  };

  /** After a reconnect: entries that arrived while the stream was down join the Unread section. */
  const catchUp = async () => {
    try {
      const res = await client.listNotifications({ pageSize: PAGE_SIZE, unreadOnly: true });
      const have = known();
      const missed = res.notifications.filter((n) => !have.has(n.id));
      batch(() => {
        if (missed.length > 0) setUnread((l) => [...missed, ...l]);
        setUnreadCount(res.unreadCount);
      });
    } catch {
      // The next reconnect or visit catches up.
    }
  };

  const markLocal = (ids: ReadonlySet<string> | "all") => {
    const stamp = timestampNow();
    const mark = (n: Notification) =>
      n.readTime || (ids !== "all" && !ids.has(n.id)) ? n : { ...n, readTime: stamp };
    batch(() => {
      setUnread((l) => l.map(mark));
      setEarlier((l) => l.map(mark));
    });
  };

  const markRead = async (n: Notification) => {
    if (n.readTime) return;
    markLocal(new Set([n.id]));
    setUnreadCount((c) => Math.max(0, c - 1));
    try {
      await client.markRead({ id: n.id });
      void center?.refresh();
    } catch (err) {
      setError(`Could not mark it read: ${errorMessage(err)}`);
      void load();
    }
  };

  const markAllRead = async () => {
    const before = { unread: unread(), earlier: earlier(), count: unreadCount() };
    markLocal("all");
    setUnreadCount(0);
    try {
      const res = await client.markRead({ all: true });
      setStatus(
        res.markedCount === 1
          ? "1 notification marked read."
          : `${res.markedCount} notifications marked read.`,
      );
      void center?.refresh();
    } catch (err) {
      batch(() => {
        setUnread(before.unread);
        setEarlier(before.earlier);
        setUnreadCount(before.count);
      });
      setError(`Could not mark them read: ${errorMessage(err)}`);
    }
  };

  let sentinel: HTMLDivElement | undefined;
  onMount(() => {
    void load();
    const stop = keepStreaming<WatchNotificationsResponse>({
      open: (signal, connected) => client.watchNotifications({}, { signal, onHeader: connected }),
      onMessage(res) {
        const n = res.notification;
        if (!n || known().has(n.id)) return;
        batch(() => {
          if (n.readTime) setEarlier((l) => [n, ...l]);
          else {
            setUnread((l) => [n, ...l]);
            setUnreadCount((c) => c + 1);
          }
        });
        setStatus(`New notification: ${n.title}`);
      },
      onReconnected: () => void catchUp(),
      onState: setLive,
      isFatal: isFatalStreamError,
      ...(props.reconnectDelayMs !== undefined ? { minDelay: props.reconnectDelayMs } : {}),
    });
    onCleanup(stop);

    if (typeof IntersectionObserver !== "undefined" && sentinel) {
      const observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) void loadMore();
      });
      observer.observe(sentinel);
      onCleanup(() => observer.disconnect());
    }
  });

  const liveText = () =>
    live() === "live"
      ? "Live"
      : live() === "retrying"
        ? "Reconnecting…"
        : live() === "stopped"
          ? "Offline"
          : "Connecting…";

  const item = (n: Notification) => {
    const created = n.createTime ? timestampDate(n.createTime) : undefined;
    return (
      <li class="np-item" classList={{ "np-unread": !n.readTime }}>
        <span class="np-dot" aria-hidden="true" />
        <a class="np-main" href={n.taskId ? taskHref(n.taskId) : "/"} onClick={() => void markRead(n)}>
          {/* The name is the visible text (WCAG 2.5.3), with the words only a screen reader needs. */}
          <Show when={!n.readTime}>
            <span class="visually-hidden">Unread: </span>
          </Show>
          <span class="np-title">{n.title}</span>
          <Show when={n.body}>
            <span class="visually-hidden">. </span>
            <span class="np-body">{n.body}</span>
          </Show>
          <Show when={created}>
            {(c) => (
              <time class="np-time" datetime={c().toISOString()} title={formatFull(c(), zone)}>
                {formatRelative(c(), now())}
              </time>
            )}
          </Show>
        </a>
        <Show when={!n.readTime}>
          <button
            type="button"
            class="te-btn te-btn-ghost"
            aria-label={`Mark read: ${n.title}`}
            onClick={() => void markRead(n)}
          >
            Mark read
          </button>
        </Show>
      </li>
    );
  };

  return (
    <section class="te-page" aria-labelledby={hid}>
      <header class="te-page-head">
        <div>
          <h1 id={hid}>Notifications</h1>
          <span class="np-status" classList={{ "np-status-retrying": live() === "retrying" }}>
            {unreadCount() === 0 ? "All caught up" : `${unreadCount()} unread`} · {liveText()}
          </span>
        </div>
        <button
          type="button"
          class="te-btn"
          disabled={unreadCount() === 0}
          onClick={() => void markAllRead()}
        >
          Mark all read
        </button>
      </header>

      <p class="te-sr" role="status">
        {status()}
      </p>
      <Show when={error()}>
        <div class="te-banner te-banner-error" role="alert">
          <p>{error()}</p>
          <button type="button" class="te-btn" onClick={() => void load()}>
            Try again
          </button>
        </div>
      </Show>

      <Show when={!loading()} fallback={<p class="te-empty">Loading notifications…</p>}>
        <Show
          when={unread().length > 0 || earlier().length > 0}
          fallback={<p class="te-empty">No notifications yet. Reminders you set on tasks show up here.</p>}
        >
          <Show when={unread().length > 0}>
            <h2 class="te-muted" id={`${hid}-unread`}>
              Unread
            </h2>
            <ul class="te-list" aria-labelledby={`${hid}-unread`}>
              <For each={unread()}>{item}</For>
            </ul>
          </Show>
          <Show when={earlier().length > 0}>
            <h2 class="te-muted" id={`${hid}-earlier`}>
              Earlier
            </h2>
            <ul class="te-list" aria-labelledby={`${hid}-earlier`}>
              <For each={earlier()}>{item}</For>
            </ul>
          </Show>
        </Show>
      </Show>
      <div ref={sentinel} class="np-more">
        <Show when={nextToken()}>
          <button type="button" class="te-btn" disabled={loadingMore()} onClick={() => void loadMore()}>
            {loadingMore() ? "Loading…" : "Load more"}
          </button>
        </Show>
      </div>
    </section>
  );
}

export default NotificationsPage;
