/**
 * The load generator's settings: each a flag of `bun services/loadgen/src/main.ts` or an environment
 * variable (`LOADGEN_*`, for running it as a Deployment), checked before anything starts.
 */
import { parseArgs } from "node:util";
import { intOption, numberOption } from "./options-parse";

/** The operations a user chooses among, and their default weights (per cent of the user's actions). */
export const DEFAULT_MIX = { list: 30, search: 15, create: 25, update: 15, complete: 10, delete: 5 } as const;
export type MixOperation = keyof typeof DEFAULT_MIX;

/** Where the services answer. */
export interface LoadTargets {
  /** h2c base URLs (gRPC and Connect over HTTP/2) of the services a user talks to. */
  readonly identity: string;
  /** The task service's replicas: user i calls (and watches) replica i mod their number. */
  readonly task: readonly string[];
  readonly notification: string;
  /** An HTTP/1.1 base URL serving every service (the edge, or `bun start`'s PORT): Connect users call it as a browser does. */
  readonly connectHttp1: string | undefined;
}

/** How the virtual users behave. */
export interface UserBehaviour {
  /** Mean think time between a user's actions, ms (exponentially distributed, cut at 5× the mean). */
  readonly thinkMs: number;
  /** Share of the users on Connect; the rest speak gRPC. */
  readonly connectShare: number;
  /** Relative weights of the operations. */
  readonly mix: Readonly<Record<MixOperation, number>>;
  /** Share of created tasks typed as recurring ("every 3 days"). */
  readonly recurringShare: number;
  /** Share of created tasks given a reminder due soon: 1–4 × `reminderDelayS` after creation. */
  readonly reminderShare: number;
  /** The shortest time from a create to its reminder due soon, s (5: reminders in 5–20 s). */
  readonly reminderDelayS: number;
  /** Tasks each user creates before measuring (so lists, updates and completions have something to work on). */
  readonly seedTasks: number;
  /** The users' IANA time zone. */
  readonly timeZone: string;
}

/** A whole run of the command. */
export interface LoadOptions {
  readonly targets: LoadTargets;
  readonly behaviour: UserBehaviour;
  readonly users: number;
  /** Measured seconds. */
  readonly durationS: number;
  /** Sign-ups in flight at once while the users are created. */
  readonly signUpConcurrency: number;
  /** Print the measurements as JSON instead of tables. */
  readonly json: boolean;
}

/** Parses `--mix list=30,search=15,…` (weights ≥ 0; operations left out keep their default). */
export function parseMix(raw: string | undefined): Record<MixOperation, number> {
  const mix: Record<MixOperation, number> = { ...DEFAULT_MIX };
  for (const part of (raw ?? "").split(",").filter((p) => p.trim() !== "")) {
    const [name, value] = part.split("=").map((s) => s.trim());
    if (!name || !(name in DEFAULT_MIX) || value === undefined || !(Number(value) >= 0)) {
      throw new Error(
        `LOADGEN_MIX: "${part}" is not operation=weight (operations: ${Object.keys(DEFAULT_MIX).join(", ")})`,
      );
    }
    mix[name as MixOperation] = Number(value);
  }
  if (Object.values(mix).every((w) => w === 0)) throw new Error("LOADGEN_MIX: every weight is 0");
  return mix;
}

/** Behaviour settings from flags (`think`, `connect-share` …) or `LOADGEN_*`, with the defaults above. */
export function behaviourOptions(flags: Readonly<Record<string, string | undefined>>): UserBehaviour {
  return {
    thinkMs: numberOption(flags.think, "LOADGEN_THINK_MS", 5000, 1, 600_000),
    connectShare: numberOption(flags["connect-share"], "LOADGEN_CONNECT_SHARE", 0.5, 0, 1),
    mix: parseMix(flags.mix ?? process.env.LOADGEN_MIX),
    recurringShare: numberOption(flags["recurring-share"], "LOADGEN_RECURRING_SHARE", 0.3, 0, 1),
    reminderShare: numberOption(flags["reminder-share"], "LOADGEN_REMINDER_SHARE", 0.15, 0, 1),
    reminderDelayS: numberOption(flags["reminder-delay"], "LOADGEN_REMINDER_DELAY_S", 5, 0.1, 3600),
    seedTasks: intOption(flags["seed-tasks"], "LOADGEN_SEED_TASKS", 3, 1, 100),
    timeZone: flags["time-zone"] ?? process.env.LOADGEN_TIME_ZONE ?? "Europe/Berlin",
  };
}

/** The flags main.ts understands (each also a `LOADGEN_*` variable; see its TSDoc). */
export const FLAGS = {
  target: { type: "string" },
  "identity-url": { type: "string" },
  "task-url": { type: "string" },
  "notification-url": { type: "string" },
  "connect-url": { type: "string" },
  users: { type: "string" },
  duration: { type: "string" },
  think: { type: "string" },
  "connect-share": { type: "string" },
  mix: { type: "string" },
  "recurring-share": { type: "string" },
  "reminder-share": { type: "string" },
  "reminder-delay": { type: "string" },
  "seed-tasks": { type: "string" },
  "time-zone": { type: "string" },
  "sign-up-concurrency": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

/** The whole command line (`argv` without `bun` and the script) and environment, checked. */
export function loadOptions(argv: readonly string[]): LoadOptions & { help: boolean } {
  const { values } = parseArgs({ args: [...argv], options: FLAGS, strict: true });
  const flags = values as Record<string, string | undefined>;
  const target = flags.target ?? process.env.LOADGEN_TARGET;
  const url = (flag: string, env: string): string => {
    const value = flags[flag] ?? process.env[env] ?? target;
    if (!value && !values.help) {
      throw new Error(
        `LOADGEN_TARGET (--target) or ${env} (--${flag}) must be set: an h2c URL such as http://127.0.0.1:50051`,
      );
    }
    return value ?? "";
  };
  return {
    targets: {
      identity: url("identity-url", "LOADGEN_IDENTITY_URL"),
      task: url("task-url", "LOADGEN_TASK_URL")
        .split(",")
        .map((u) => u.trim())
        .filter((u) => u !== ""),
      notification: url("notification-url", "LOADGEN_NOTIFICATION_URL"),
      connectHttp1: flags["connect-url"] ?? process.env.LOADGEN_CONNECT_URL,
    },
    behaviour: behaviourOptions(flags),
    users: intOption(flags.users, "LOADGEN_USERS", 10, 1, 100_000),
    durationS: numberOption(flags.duration, "LOADGEN_DURATION", 30, 1, 86_400),
    signUpConcurrency: intOption(flags["sign-up-concurrency"], "LOADGEN_SIGN_UP_CONCURRENCY", 8, 1, 1000),
    json: Boolean(values.json),
    help: Boolean(values.help),
  };
}
