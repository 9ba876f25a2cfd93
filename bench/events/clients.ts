/**
 * The event-path benchmark's clients of the services: TaskService clients of a user on a task
 * replica (each on its own HTTP/2 connection), sign-up at identity, and WatchTasks streams held open.
 */
import { type Client, createClient } from "@connectrpc/connect";
import type { TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { SignedUp } from "../lib/clients";
import type { EventsRun } from "./options";

/** A TaskService client. */
export type Tasks = Client<typeof TaskService>;

/** A TaskService client of the service on loopback port `grpcPort`, as the user of `token`. */
export function tasksAt(run: EventsRun, grpcPort: number, token: string): Tasks {
  return createClient(TaskService, run.clients.transport(`http://127.0.0.1:${grpcPort}`, token));
}

/** Signs up a new user (time zone UTC) at the identity service on loopback port `identityPort`. */
export function signUpAt(run: EventsRun, identityPort: number, label: string): Promise<SignedUp> {
  return run.clients.signUp(`http://127.0.0.1:${identityPort}`, label, "UTC");
}

/** When something arrived: monotonic (for latencies within this process) and wall clock (to compare with
 * times the services stamped). */
export interface Arrival {
  readonly mono: number;
  readonly wall: number;
}

/** A WatchTasks stream held open by the benchmark, calling `onChange` with each change's arrival time. */
export interface Watcher {
  readonly replica: string;
  close(): void;
  readonly done: Promise<void>;
}

/** Opens a WatchTasks stream through `tasks`, labelled `replica`; a stream that fails says so in the log. */
export function openWatcher(
  run: EventsRun,
  replica: string,
  tasks: Tasks,
  onChange: (change: TaskChange, at: Arrival) => void,
): Watcher {
  const abort = new AbortController();
  const done = (async () => {
    try {
      for await (const res of tasks.watchTasks({}, { signal: abort.signal })) {
        if (res.change) onChange(res.change, { mono: performance.now(), wall: Date.now() });
      }
    } catch (err) {
      if (!abort.signal.aborted) run.log(`a WatchTasks stream on ${replica} failed: ${String(err)}`);
    }
  })();
  return { replica, close: () => abort.abort(), done };
}
