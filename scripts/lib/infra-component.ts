/**
 * The shape of one piece of local development infrastructure (PostgreSQL now; Kafka, Dapr later).
 * `scripts/infra.ts` drives every registered component through the same three verbs, and each
 * component reports the environment variables that point a service or a test at it.
 */

/** What every component gets from the driver. */
export interface InfraContext {
  /** Absolute path of the repository checkout. */
  readonly repoRoot: string;
  /** `<repo>/.infra`: git-ignored state of this checkout (env file, non-root data dirs). */
  readonly stateDir: string;
  /** Progress for humans; goes to stderr so stdout stays machine-readable. */
  log(message: string): void;
}

/** Whether a component runs, plus one human-readable line about where and how. */
export interface ComponentStatus {
  readonly running: boolean;
  readonly detail: string;
}

/** Options of `down`. */
export interface DownOptions {
  /** Also delete the component's data; the next `up` starts from nothing. */
  readonly purge: boolean;
}

/**
 * One infrastructure component. Implementations must be idempotent: `up` on a running component
 * only reports its variables again, `down` on a stopped one does nothing.
 */
export interface InfraComponent {
  /** Short name used on the command line, e.g. `postgres`. */
  readonly name: string;
  /** The variables `up` returns, e.g. `DATABASE_URL`; lets callers tell what is missing. */
  readonly envKeys: readonly string[];
  /** Starts the component (creating it first if needed) once it accepts clients; returns its variables. */
  up(ctx: InfraContext): Promise<Record<string, string>>;
  /** Stops the component; with `purge`, deletes its data too. */
  down(ctx: InfraContext, options: DownOptions): Promise<void>;
  /** Reports whether the component runs. */
  status(ctx: InfraContext): Promise<ComponentStatus>;
}
