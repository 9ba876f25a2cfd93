/**
 * The users benchmark's options (`bench/users.ts` parses them from flags and environment variables;
 * its TSDoc lists them).
 */
import type { UserBehaviour } from "@todo/loadgen";

/** The systems a run can measure, in the order they run. */
export const USER_MODES = ["embedded", "services"] as const;
export type UserMode = (typeof USER_MODES)[number];

/** Every option of a run, parsed and checked. */
export interface UsersOptions {
  /** Virtual users of each step, ascending; each step keeps the users of the one before. */
  readonly steps: readonly number[];
  /** Measured seconds per step. */
  readonly durationS: number;
  readonly modes: ReadonlySet<UserMode>;
  /** What the virtual users do (the load generator's settings). */
  readonly behaviour: UserBehaviour;
  /** Sign-ups and first tasks in flight at once. */
  readonly signUpConcurrency: number;
  /** `private`: a broker of this run; `shared`: `sharedBrokers` with a topic prefix of this run. */
  readonly kafka: "private" | "shared";
  readonly sharedBrokers: string | undefined;
  /** The PostgreSQL server on which a fresh database is created per mode. */
  readonly databaseUrl: string;
  /** The report file (absolute), and whether to write it (else only print). */
  readonly out: string;
  readonly write: boolean;
  /** The command line, for the report. */
  readonly command: string;
}
