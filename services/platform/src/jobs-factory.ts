/**
 * Chooses the `JobScheduler` adapter from the environment, like `bus.ts` does for the event bus:
 * the Dapr Jobs API under a sidecar (`DAPR_HTTP_PORT`), PostgreSQL timers otherwise. `JOB_SCHEDULER`
 * (`dapr` or `postgres`) overrides the choice. Creates the tables the adapter needs.
 */
import { daprSidecarFromEnv } from "./dapr";
import { daprCallbacks } from "./dapr-callback";
import type { Sql } from "./db";
import type { JobScheduler } from "./jobs";
import { createDaprJobScheduler, ensureDaprJobs } from "./jobs-dapr";
import { createPostgresJobScheduler, ensureJobs } from "./jobs-postgres";

type Env = Readonly<Record<string, string | undefined>>;

/** Creates the job scheduler the environment asks for, on `<schema>`. */
export async function createJobScheduler(
  options: { readonly sql: Sql; readonly schema: string },
  env: Env = process.env,
): Promise<JobScheduler> {
  const sidecar = daprSidecarFromEnv(env);
  const kind = env.JOB_SCHEDULER?.trim() || (sidecar ? "dapr" : "postgres");
  if (kind === "dapr") {
    if (!sidecar)
      throw new Error("JOB_SCHEDULER=dapr needs DAPR_HTTP_PORT and DAPR_GRPC_PORT (the sidecar's ports)");
    await ensureDaprJobs(options.sql, options.schema);
    return createDaprJobScheduler({ ...options, sidecar, callbacks: daprCallbacks() });
  }
  if (kind !== "postgres")
    throw new Error(`JOB_SCHEDULER must be dapr or postgres, got ${JSON.stringify(kind)}`);
  await ensureJobs(options.sql, options.schema);
  return createPostgresJobScheduler(options);
}
