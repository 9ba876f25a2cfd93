/**
 * What another team would write with `@todo/sdk`, run by the proof test (sdk-package.test.ts) from a
 * scratch project that installed the packed tarball: under Node (compiled by tsc against the
 * published .d.ts) and under Bun (as it is). It prints one line per step; the test reads them.
 *
 * Environment: TODO_BASE_URL (the server), TODO_TRANSPORT (connect, grpc or grpc-web), TODO_RUN (a
 * name for this run, used in the e-mail address).
 */
import {
  ChangeType,
  Code,
  ConnectError,
  createTodoClient,
  fieldViolations,
  Priority,
  RecurrenceAnchor,
  type TaskChange,
  type TransportName,
} from "@todo/sdk";

// The program needs no @types/node: this is all it reads of the process.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

const baseUrl = process.env.TODO_BASE_URL ?? "http://127.0.0.1:8080";
const transport = (process.env.TODO_TRANSPORT ?? "connect") as TransportName;
const run = process.env.TODO_RUN ?? "local";

let token: string | undefined;
const client = createTodoClient({ baseUrl, transport, getToken: () => token });

/** Waits until `find` returns something, for at most `ms`. */
async function waitFor<T>(what: string, find: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// 1. Sign up; the token goes on every later call through getToken.
const email = `sdk-${run}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
const signUp = await client.auth.signUp({
  email,
  password: "an sdk proof password",
  displayName: "SDK proof",
  timeZone: "Europe/Berlin",
});
token = signUp.accessToken;
console.log(`signed up: ${signUp.user?.email === email}`);

// 2. Watch the caller's changes, from before anything is created.
const changes: TaskChange[] = [];
const stop = new AbortController();
let live = false;
const watching = (async () => {
  for await (const change of client.watchTasks({ signal: stop.signal, onConnected: () => (live = true) })) {
    changes.push(change);
  }
})();
await waitFor("live watch", () => (live ? true : undefined));
console.log("watching: live");

// 3. Create a recurring task (every Monday, due in a week) and one that the filter leaves out.
const due = Math.floor(Date.now() / 1000) + 7 * 86_400;
const { task } = await client.tasks.createTask({
  task: {
    title: "Water the plants",
    priority: Priority.HIGH,
    tags: ["home"],
    dueTime: { seconds: BigInt(due), nanos: 0 },
    recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO", anchor: RecurrenceAnchor.SCHEDULE },
  },
});
await client.tasks.createTask({ task: { title: "Someday, maybe", priority: Priority.LOW } });
console.log(
  `created: ${task?.title} | ${task?.recurrence?.rrule} | series ${task?.seriesId ? "set" : "missing"}`,
);

// 4. List with a filter, one task per page, across pages.
const listed: string[] = [];
for await (const t of client.listAllTasks({ filter: "priority >= HIGH AND tags:home", pageSize: 1 })) {
  listed.push(t.title);
}
console.log(`listed: ${JSON.stringify(listed)}`);

// 5. Complete it and see the change arrive on the watch.
await client.tasks.completeTask({ id: task?.id ?? "" });
const completed = await waitFor("COMPLETED change", () =>
  changes.find((c) => c.type === ChangeType.COMPLETED && c.task?.id === task?.id),
);
const created = changes.some((c) => c.type === ChangeType.CREATED && c.task?.id === task?.id);
console.log(`watched: ${ChangeType[completed.type]} ${completed.task?.title} (CREATED seen: ${created})`);

// 6. Bad input is INVALID_ARGUMENT with the offending fields named.
try {
  await client.tasks.createTask({ task: { title: "  " } });
  console.log("invalid: accepted?!");
  process.exitCode = 1;
} catch (error) {
  if (!(error instanceof ConnectError)) throw error;
  const fields = fieldViolations(error).map((v) => `${v.field} ${v.description}`);
  console.log(`invalid: ${Code[error.code]} ${JSON.stringify(fields)}`);
}

stop.abort();
await watching;
console.log("done");
