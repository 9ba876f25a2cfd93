/**
 * The notification centre behind the bell: the unread count and the latest entries
 * (ListNotifications), kept live by WatchNotifications with reconnects, and the browser's own
 * notifications once the person allowed them (asked only on a click, never on load).
 *
 * The Notifications page marks entries read through its own calls; it should call `refresh()`
 * afterwards (the bell also refreshes when the window regains focus and after a reconnect).
 */
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { Notification } from "@todo/gen/todo/notification/v1/notification_pb";
import type {
  ListNotificationsResponse,
  WatchNotificationsResponse,
} from "@todo/gen/todo/notification/v1/notification_service_pb";
import { type Accessor, batch, createContext, createSignal, useContext } from "solid-js";
import { keepStreaming, type LiveState } from "../api/live";
import { isFatalStreamError } from "./task-feed";

/** The calls the centre makes (the NotificationService client, or stubs in tests). */
export interface NotificationCalls {
  list(req: { pageSize: number }): Promise<Pick<ListNotificationsResponse, "notifications" | "unreadCount">>;
  markRead(req: { id?: string; all?: boolean }): Promise<unknown>;
  watch(
    req: object,
    opts: { signal: AbortSignal; onHeader?: () => void },
  ): AsyncIterable<WatchNotificationsResponse>;
}

/** What the bell shows and does. */
export interface NotificationCenter {
  readonly unread: Accessor<number>;
  /** The latest entries, newest first. */
  readonly recent: Accessor<readonly Notification[]>;
  readonly state: Accessor<LiveState>;
  /** `default`, `granted`, `denied`, or `unsupported`. */
  readonly permission: Accessor<NotificationPermission | "unsupported">;
  refresh(): Promise<void>;
  markRead(id: string): Promise<void>;
  markAllRead(): Promise<void>;
  /** Asks for the browser's permission (call from a click). */
  requestPermission(): Promise<void>;
  stop(): void;
}

/** How many entries the bell's dropdown keeps. */
export const RECENT_SIZE = 8;

function browserPermission(): NotificationPermission | "unsupported" {
  return typeof window !== "undefined" && "Notification" in window
    ? window.Notification.permission
    : "unsupported";
}

/** Options of {@link createNotificationCenter}. */
export interface NotificationCenterOptions {
  /** Runs for each new entry (the app shows a toast while visible). */
  onArrive?(n: Notification): void;
  openTask?(taskId: string): void;
  /**
   * When to start loading and streaming (default: at once). The app passes the first-screen gate
   * (state/first-screen.ts): the bell is not what a person opening the app waits for. Until then
   * the centre is empty and `permission` says `default`.
   */
  startAfter?(start: () => void): void;
}

/** Creates the centre and starts it (see {@link NotificationCenterOptions.startAfter}). */
export function createNotificationCenter(
  calls: NotificationCalls,
  options: NotificationCenterOptions = {},
): NotificationCenter {
  const [unread, setUnread] = createSignal(0);
  const [recent, setRecent] = createSignal<readonly Notification[]>([]);
  const [state, setState] = createSignal<LiveState>("connecting");
  // Reading the permission is a synchronous round trip to the browser process: not on the way to
  // the first screen.
  const [permission, setPermission] = createSignal<NotificationPermission | "unsupported">("default");

  const refresh = async () => {
    try {
      const res = await calls.list({ pageSize: RECENT_SIZE });
      batch(() => {
        setUnread(res.unreadCount);
        setRecent(res.notifications);
      });
    } catch {
      // The bell keeps what it had; the next refresh or stream message catches up.
    }
  };

  const showBrowserNotification = (n: Notification) => {
    if (browserPermission() !== "granted" || document.visibilityState === "visible") return;
    try {
      const shown = new window.Notification(n.title, { body: n.body, tag: n.id });
      shown.onclick = () => {
        window.focus();
        if (n.taskId) options.openTask?.(n.taskId);
        shown.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker; the in-app toast remains.
    }
  };

  let stopped = false;
  let stopStream = () => {};
  const onFocus = () => void refresh();
  const start = () => {
    if (stopped) return;
    setPermission(browserPermission());
    void refresh();
    stopStream = keepStreaming<WatchNotificationsResponse>({
      open: (signal, connected) => calls.watch({}, { signal, onHeader: connected }),
      onMessage(res) {
        const n = res.notification;
        if (!n) return;
        if (recent().some((r) => r.id === n.id)) return;
        batch(() => {
          if (!n.readTime) setUnread((c) => c + 1);
          setRecent((l) => [n, ...l].slice(0, RECENT_SIZE));
        });
        showBrowserNotification(n);
        options.onArrive?.(n);
      },
      onReconnected: () => void refresh(),
      onState: setState,
      isFatal: isFatalStreamError,
    });
    window.addEventListener("focus", onFocus);
  };
  if (options.startAfter) options.startAfter(start);
  else start();

  return {
    unread,
    recent,
    state,
    permission,
    refresh,
    async markRead(id) {
      const was = recent().find((n) => n.id === id);
      if (was && !was.readTime) {
        setUnread((c) => Math.max(0, c - 1));
        setRecent((l) => l.map((n) => (n.id === id ? { ...n, readTime: timestampNow() } : n)));
      }
      await calls.markRead({ id });
      await refresh();
    },
    async markAllRead() {
      setUnread(0);
      await calls.markRead({ all: true });
      await refresh();
    },
    async requestPermission() {
      if (browserPermission() === "unsupported") return;
      const p = await window.Notification.requestPermission();
      setPermission(p);
    },
    stop() {
      stopped = true;
      stopStream();
      window.removeEventListener("focus", onFocus);
    },
  };
}

const NotificationContext = createContext<NotificationCenter>();
/** Provides the centre. */
export const NotificationCenterProvider = NotificationContext.Provider;
/**
 * The centre, if provided. The Notifications page can call `refresh()` after marking entries read,
 * so the bell's count follows at once.
 */
export function useNotificationCenter(): NotificationCenter | undefined {
  return useContext(NotificationContext);
}
