/**
 * A short, realistic load on an `ObservedSystem`, enough for every panel a healthy system fills to
 * have data: users sign up and in (one sign-in with a wrong password), tasks are created, listed,
 * tagged and completed, tags created and listed, reminders fire and are delivered to a webhook, a
 * recurring task is completed (its next instance is a `next` job), and live views (WatchTasks,
 * WatchNotifications) are opened — two stay open, a few short ones end.
 *
 * It runs in rounds about 1.5 s apart, so that every counter and histogram has moved between two
 * 1-second scrapes (a series first seen with its first observation only shows in `rate()` once it
 * grows again): several calls of each method, four reminders firing at different seconds, one
 * webhook delivery for each.
 */
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { type LiveStream, readStream } from "../../tests/integration/live-stream.ts";
import { eventually } from "../../tests/integration/system.ts";
import type { ObservedSystem } from "./observed-system.ts";

/** How many rounds of calls the load makes. */
export const LOAD_ROUNDS = 6;
/** How many reminders it sets (each fires a few seconds after it is set, in its own round). */
export const LOAD_REMINDERS = 4;

/** What the load did, and the live views it left open. */
export interface LoadResult {
  readonly ms: number;
  readonly calls: number;
  readonly remindersFired: number;
  readonly webhookDeliveries: number;
  /** Ends the two live views left open (call after the queries were evaluated). */
  close(): void;
}

/** Runs the load; resolves once every reminder reached the inbox and the webhook. */
export async function runLoad(observed: ObservedSystem): Promise<LoadResult> {
  const started = performance.now();
  const { system, webhook } = observed;
  let calls = 0;
  const call = async <T>(promise: Promise<T>): Promise<T> => {
    calls++;
    return await promise;
  };

  const { token } = await system.signUp();
  calls++;
  const tasks = system.client("task", TaskService, token);
  const tags = system.client("tag", TagService, token);
  const scheduler = system.client("scheduler", SchedulerService, token);
  const inbox = system.client("notification", NotificationService, token);
  const auth = system.client("identity", AuthService);

  await call(
    inbox.createChannel({
      channel: { target: { case: "webhook", value: { url: `${webhook.url}/todo-webhook` } } },
    }),
  );
  const open: LiveStream<unknown>[] = [
    readStream((signal) => tasks.watchTasks({}, { signal })),
    readStream((signal) => inbox.watchNotifications({}, { signal })),
  ];

  // A recurring task due tomorrow with a reminder an hour before: a job pending all along.
  const tomorrow = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 24 * 3600_000);
  const { task: recurring } = await call(
    tasks.createTask({
      task: {
        title: "Water the plants",
        dueTime: timestampFromDate(tomorrow),
        timeZone: "UTC",
        recurrence: { rrule: "FREQ=DAILY;COUNT=5", anchor: RecurrenceAnchor.SCHEDULE },
        reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(3600_000) } }],
      },
    }),
  );
  if (!recurring) throw new Error("CreateTask returned no task");

  const reminderTasks = new Set<string>();
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    const work: Promise<unknown>[] = [
      call(tasks.createTask({ task: { title: `Load ${round}`, tags: [`load-${round % 3}`] } })).then(
        ({ task }) => (task ? call(tasks.completeTask({ id: task.id })) : undefined),
      ),
      call(tasks.listTasks({})),
      call(tags.listTags({})),
      call(tags.createTag({ tag: { name: `Round ${round}` } })),
      call(scheduler.listUpcomingReminders({})),
      call(scheduler.previewRecurrence({ rrule: "FREQ=WEEKLY", startTime: timestampFromDate(new Date()) })),
      call(inbox.listNotifications({})),
      call(inbox.listChannels({})),
      // A client mistake (UNAUTHENTICATED), not a server error.
      call(auth.signIn({ email: `nobody-${round}@example.test`, password: "wrong password" })).catch(
        () => undefined,
      ),
    ];
    if (round < LOAD_REMINDERS) {
      const fireAt = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
      work.push(
        call(
          tasks.createTask({
            task: {
              title: `Reminder ${round}`,
              reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }],
            },
          }),
        ).then(({ task }) => task && reminderTasks.add(task.id)),
      );
    }
    if (round === 1) work.push(call(tasks.completeTask({ id: recurring.id })));
    if (round % 2 === 0) work.push(system.signUp().then(() => calls++));
    // A live view that ends after a moment (its client goes away: CANCELLED).
    const brief = readStream((signal) => tasks.watchTasks({}, { signal }));
    work.push(Bun.sleep(400).then(() => brief.close()));
    await Promise.all(work);
    await Bun.sleep(1500);
  }

  const remindersFired = await eventually(
    `the ${LOAD_REMINDERS} reminders in the inbox`,
    async () => {
      const { notifications } = await inbox.listNotifications({});
      const fired = notifications.filter((n) => reminderTasks.has(n.taskId)).length;
      return fired >= LOAD_REMINDERS ? fired : undefined;
    },
    30_000,
    250,
  );
  const webhookDeliveries = await eventually(
    `${LOAD_REMINDERS} webhook deliveries`,
    () => (webhook.received.length >= LOAD_REMINDERS ? webhook.received.length : undefined),
    30_000,
    250,
  );
  return {
    ms: Math.round(performance.now() - started),
    calls,
    remindersFired,
    webhookDeliveries,
    close: () => {
      for (const stream of open) stream.close();
    },
  };
}
