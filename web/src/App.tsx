/**
 * The app: toasts, the session (with the one transport), the router and the signed-in shell. The
 * shell owns what lives as long as a sign-in — the WatchTasks feed, the notification centre, the tag
 * catalogue — and is rebuilt for another account. Routes: /signin, / (tasks; the view is in the
 * query string), /tags, /notifications. The Tags and Notifications pages load on first visit.
 */
import { Navigate, Route, Router, type RouteSectionProps, useLocation, useNavigate } from "@solidjs/router";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createEffect, type JSX, lazy, on, onCleanup, Show } from "solid-js";
import { SessionProvider, useSession } from "./api/session";
import { lazyStream, useClient, useLazyClient } from "./api/transport";
import { Layout } from "./components/Layout";
import { ToastProvider, useToasts } from "./components/Toast";
import { SignInPage } from "./pages/SignIn";
import { TasksPage } from "./pages/Tasks";
import { createFirstScreen, FirstScreenProvider, useFirstScreen } from "./state/first-screen";
import { createNotificationCenter, NotificationCenterProvider } from "./state/notifications";
import { createTagCatalog, TagCatalogProvider } from "./state/tags";
import { createTaskFeed, TaskFeedProvider } from "./state/task-feed";
import { createTheme } from "./state/theme";

const SettingsPage = lazy(() => import("./pages/Settings").then((m) => ({ default: m.SettingsPage })));
const TagsPage = lazy(() => import("./pages/Tags").then((m) => ({ default: m.TagsPage })));
const NotificationsPage = lazy(() =>
  import("./pages/Notifications").then((m) => ({ default: m.NotificationsPage })),
);

/** Everything that exists while someone is signed in. */
function SignedInShell(props: RouteSectionProps & { theme: ReturnType<typeof createTheme> }): JSX.Element {
  const tasks = useClient(TaskService);
  // Neither is needed for the first screen: their generated code loads when they start.
  const tagsClient = useLazyClient(() =>
    import("@todo/gen/todo/tag/v1/tag_service_pb").then((m) => m.TagService),
  );
  const notificationsClient = useLazyClient(() =>
    import("@todo/gen/todo/notification/v1/notification_service_pb").then((m) => m.NotificationService),
  );
  const toasts = useToasts();
  const navigate = useNavigate();
  const location = useLocation();

  const firstScreen = useFirstScreen();
  const later = (fn: () => void) => (firstScreen ? firstScreen.after(fn) : fn());
  // Only the task list waits for its first page to be shown (pages/Tasks.tsx says when); the tag
  // catalogue and the bell start after that, so they do not compete with it (state/first-screen.ts).
  if (location.pathname !== "/") firstScreen?.shown();

  const feed = createTaskFeed((req, opts) => tasks.watchTasks(req, opts));
  const tags = createTagCatalog(async (req) => (await tagsClient()).listTags(req));
  later(() => void tags.refresh());
  const notifications = createNotificationCenter(
    {
      list: async (req) => (await notificationsClient()).listNotifications(req),
      markRead: async (req) => (await notificationsClient()).markRead(req),
      watch: (req, opts) =>
        lazyStream(async () => (await notificationsClient()).watchNotifications(req, opts)),
    },
    {
      onArrive: (n) => {
        toasts.show({
          message: `${n.title}${n.body ? ` — ${n.body}` : ""}`,
          action: { label: "Open", run: () => navigate("/notifications") },
          timeout: 10_000,
        });
      },
      openTask: () => navigate("/notifications"),
      startAfter: later,
    },
  );
  onCleanup(() => {
    feed.stop();
    notifications.stop();
  });
  // Back from the Tags or Notifications page: counts and names may have changed there.
  createEffect(
    on(
      () => location.pathname,
      (path, prev) => {
        if (path === "/tags") document.title = "Tags · Todo";
        if (path === "/notifications") document.title = "Notifications · Todo";
        if (prev === "/tags") void tags.refresh();
        if (prev === "/notifications" || path === "/notifications") void notifications.refresh();
      },
    ),
  );

  return (
    <TaskFeedProvider value={feed}>
      <TagCatalogProvider value={tags}>
        <NotificationCenterProvider value={notifications}>
          <Layout
            theme={props.theme.theme()}
            onToggleTheme={props.theme.toggle}
            notifications={notifications}
            feed={feed}
            tags={tags}
          >
            {props.children}
          </Layout>
        </NotificationCenterProvider>
      </TagCatalogProvider>
    </TaskFeedProvider>
  );
}

/** Sends signed-out visitors to /signin (remembering where they were going). */
function RequireSession(props: RouteSectionProps & { theme: ReturnType<typeof createTheme> }): JSX.Element {
  const session = useSession();
  const location = useLocation();
  const next = () => encodeURIComponent(`${location.pathname}${location.search}`);
  return (
    <Show
      when={session.token()}
      keyed
      fallback={<Navigate href={`/signin${next() === "%2F" ? "" : `?next=${next()}`}`} />}
    >
      {(_token) => <SignedInShell {...props} />}
    </Show>
  );
}

function NotFound(): JSX.Element {
  return (
    <main class="signin" id="main">
      <div class="signin__card">
        <h1>Page not found</h1>
        <p>
          <a href="/">Back to your tasks</a>
        </p>
      </div>
    </main>
  );
}

/** The whole app. */
export function App(): JSX.Element {
  const theme = createTheme();
  const firstScreen = createFirstScreen();
  const Shell = (p: RouteSectionProps) => <RequireSession {...p} theme={theme} />;
  return (
    <FirstScreenProvider value={firstScreen}>
      <ToastProvider>
        <SessionProvider>
          <Router>
            <Route path="/signin" component={SignInPage} />
            <Route path="/" component={Shell}>
              <Route path="/" component={TasksPage} />
              <Route path="/tags" component={TagsPage} />
              <Route path="/notifications" component={NotificationsPage} />
              <Route path="/settings" component={SettingsPage} />
            </Route>
            <Route path="*404" component={NotFound} />
          </Router>
        </SessionProvider>
      </ToastProvider>
    </FirstScreenProvider>
  );
}
