/**
 * The load generator as a command (and, with the deployment issue, a Deployment):
 *
 *   bun services/loadgen/src/main.ts --target http://127.0.0.1:50051 --users 50 --duration 60
 *
 * Each virtual user signs up, keeps a WatchTasks and a WatchNotifications stream open, creates its
 * first tasks, and then, after each think time (exponential, mean `--think` ms, cut at five means),
 * lists, searches, creates with quick add (some recurring, some with a reminder due in 5–20 s),
 * updates, completes or deletes, over gRPC or Connect. At the end it prints, per call, p50/p95/p99/max
 * and errors by code, the change → other-window delay (call start → the change on the user's own
 * WatchTasks stream) and reminder lateness (fire_time → arrival on WatchNotifications).
 *
 * Flags (each also an environment variable):
 *   --target URL              LOADGEN_TARGET              h2c URL of every service (`bun start`'s GRPC_PORT)
 *   --identity-url URL        LOADGEN_IDENTITY_URL        h2c URL of the identity service (default --target)
 *   --task-url URL,…          LOADGEN_TASK_URL            h2c URL(s) of the task service's replicas; user i
 *                                                         uses replica i mod their number (default --target)
 *   --notification-url URL    LOADGEN_NOTIFICATION_URL    h2c URL of the notification service (default --target)
 *   --connect-url URL         LOADGEN_CONNECT_URL         HTTP/1.1 URL for the Connect users (the edge, or
 *                                                         `bun start`'s PORT); default: Connect over h2c
 *   --users N                 LOADGEN_USERS               virtual users (10)
 *   --duration S              LOADGEN_DURATION            measured seconds (30)
 *   --think MS                LOADGEN_THINK_MS            mean think time (5000)
 *   --connect-share F         LOADGEN_CONNECT_SHARE       share of users on Connect, 0–1 (0.5)
 *   --mix op=w,…              LOADGEN_MIX                 weights (list=30,search=15,create=25,update=15,
 *                                                         complete=10,delete=5)
 *   --recurring-share F       LOADGEN_RECURRING_SHARE     share of created tasks that repeat (0.3)
 *   --reminder-share F        LOADGEN_REMINDER_SHARE      share of created tasks with a reminder due soon (0.15)
 *   --reminder-delay S        LOADGEN_REMINDER_DELAY_S    a reminder due soon is due 1–4 × S after its create (5)
 *   --seed-tasks N            LOADGEN_SEED_TASKS          tasks each user creates before measuring (3)
 *   --time-zone ZONE          LOADGEN_TIME_ZONE           the users' zone (Europe/Berlin)
 *   --sign-up-concurrency N   LOADGEN_SIGN_UP_CONCURRENCY sign-ups and first tasks in flight at once (8)
 *   --json                                                print the measurements as JSON
 *
 * More than 100 users from one address need the server's sign-up limit off (SIGN_UP_ADDRESS_LIMIT=0,
 * docs/identity.md). Exit status 1 when any call or stream failed.
 */

import { loadOptions } from "./options";
import { printHelpAndExit } from "./options-parse";
import { Recorder } from "./recorder";
import { errorCount, measurementsMarkdown } from "./report";
import { LoadSession, signUpUsers } from "./session";

const options = loadOptions(Bun.argv.slice(2));
if (options.help) printHelpAndExit(import.meta.path);
const log = (m: string) => console.error(`loadgen: ${m}`);
const recorder = new Recorder();
log(`signing up ${options.users} users at ${options.targets.identity}`);
const accounts = await signUpUsers(
  options.targets,
  options.users,
  options.signUpConcurrency,
  options.behaviour.timeZone,
  recorder,
);
log("opening streams and creating the first tasks");
const session = await LoadSession.open(
  options.targets,
  accounts,
  options.behaviour,
  recorder,
  options.signUpConcurrency,
);
let stopping = false;
const stop = () => {
  if (stopping) process.exit(130);
  stopping = true;
  void session.close().then(() => process.exit(130));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
log(`${session.streams} streams open; measuring ${options.durationS} s`);
const measurements = await session.run(options.durationS);
await session.close();
console.log(options.json ? JSON.stringify(measurements, null, 2) : measurementsMarkdown(measurements));
process.exit(errorCount(measurements) > 0 ? 1 : 0);
