/**
 * The deployment smoke test: a short, real conversation with a running Todo through its public
 * HTTP/1.1 origin (`bun start` on :8080, the edge of `start:services`, or the Gateway/Ingress host of
 * a Kubernetes release), exactly as a browser or an SDK would hold it. It is what CD runs after every
 * `helm upgrade` (`bun scripts/smoke.ts "$APP_URL"`, see docs/delivery.md), and what an operator
 * runs by hand after changing anything in front of the app (TLS, routes, the Gateway).
 *
 * Every call goes through the generated Connect clients (`@todo/gen`) with connect-node's Connect
 * transport over HTTP/1.1 (JSON by default, binary on request), each with its own deadline, so a
 * hung backend fails the step instead of the pipeline's timeout. The steps, in order
 * ({@link SMOKE_STEPS}):
 *
 * 1. `health` — `grpc.health.v1.Health/Check` for the whole server (`service: ""`) is SERVING.
 *    This is the readiness wait: with `retries` it is tried again every `retryDelayMs`, because a
 *    fresh rollout (new pods, a new certificate, DNS) may take a while to answer.
 * 2. `web app` — `GET /` answers 200 with an HTML page.
 * 3. `sign up` — a fresh throw-away account (a unique `smoke-…@example.com`).
 * 4. `sign in` — with the same e-mail and password; `GetCurrentUser` with the new token names it.
 * 5. `create task` — a high-priority task tagged `smoke` with a unique title (and a `request_id`).
 * 6. `list with a filter` — `ListTasks` with `title = "…" AND status = open AND priority >= high
 *    AND tags:smoke` returns exactly that task.
 * 7. `delete task` — `DeleteTask` with the task's etag.
 * 8. `check it is gone` — `GetTask` is NOT_FOUND and the same filtered list is empty.
 *
 * The first failing step stops the run and is named in the report. A task created by a run that
 * fails later is deleted on the way out (best effort). The account stays: the API has no way to
 * delete one; smoke accounts are recognisable by their `smoke-` e-mail prefix.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@todo/gen/grpc/health/v1/health_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";

/** The names of the steps, in the order they run; a failure report names one of these. */
export const SMOKE_STEPS = [
  "health",
  "web app",
  "sign up",
  "sign in",
  "create task",
  "list with a filter",
  "delete task",
  "check it is gone",
] as const;

/** One of {@link SMOKE_STEPS}. */
export type SmokeStep = (typeof SMOKE_STEPS)[number];

/** What {@link runSmoke} needs to know. */
export interface SmokeOptions {
  /** The public origin, `http(s)://host[:port][/prefix]`; RPCs go to `<baseUrl>/<service>/<method>`. */
  readonly baseUrl: string;
  /** The deadline of each call, in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** How many more times the `health` step is tried when it fails (default 0). */
  readonly retries?: number;
  /** The pause between two `health` attempts, in ms (default 5 000). */
  readonly retryDelayMs?: number;
  /** Connect's binary (protobuf) encoding instead of JSON. */
  readonly binary?: boolean;
  /** PEM certificates to trust for an https URL, besides the system's (e.g. a self-signed issuer's CA). */
  readonly ca?: string;
  /** Accept any TLS certificate (a lab cluster's self-signed one). Never for production. */
  readonly insecure?: boolean;
  /** Where progress lines go (default: nowhere). */
  readonly log?: (line: string) => void;
}

/** The outcome of one step. */
export interface StepResult {
  readonly step: SmokeStep;
  readonly ok: boolean;
  /** Wall-clock time of the step, retries included. */
  readonly ms: number;
  /** What the step saw (on success) or why it failed. */
  readonly detail: string;
  /** How many attempts the step took (more than one only for `health`). */
  readonly attempts: number;
}

/** The outcome of a run: every step that ran, and the one that failed, if any. */
export interface SmokeReport {
  readonly ok: boolean;
  readonly baseUrl: string;
  readonly steps: readonly StepResult[];
  readonly failed?: StepResult;
  readonly ms: number;
}

/** A step failure with a message meant for the operator (no stack). */
class StepFailure extends Error {}

/** A short, single-line description of any error: the Connect code and message, plus its cause. */
export function describeError(err: unknown): string {
  if (err instanceof StepFailure) return err.message;
  const connect = ConnectError.from(err);
  let text = connect.message;
  const cause = connect.cause instanceof Error ? connect.cause : undefined;
  if (cause && !text.includes(cause.message)) text += ` (${cause.message})`;
  return text.replace(/\s+/g, " ").trim();
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailure(message);
}

/** Validates a base URL and drops its trailing slash; throws a message naming what is wrong. */
export function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(raw)} (expected e.g. https://todo.example.com)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`${raw}: only http:// and https:// URLs are supported`);
  if (url.search || url.hash) throw new Error(`${raw}: a base URL has no query or fragment`);
  return url.toString().replace(/\/+$/, "");
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/**
 * Runs the smoke test against `options.baseUrl` and reports every step. Never throws for a failing
 * deployment: the report says which step failed and why (a bad `baseUrl` does throw).
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 0;
  const retryDelayMs = options.retryDelayMs ?? 5_000;
  const log = options.log ?? (() => {});
  const tls = baseUrl.startsWith("https:")
    ? {
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.insecure ? { rejectUnauthorized: false } : {}),
      }
    : {};
  const transport = (token?: string) =>
    createConnectTransport({
      baseUrl,
      httpVersion: "1.1",
      useBinaryFormat: options.binary ?? false,
      defaultTimeoutMs: timeoutMs,
      interceptors: token ? [bearer(token)] : [],
      nodeOptions: tls,
    });
  const anonymous = transport();
  const health = createClient(Health, anonymous);
  const auth = createClient(AuthService, anonymous);

  const runId = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const email = `smoke-${runId}@example.com`;
  const password = `smoke ${crypto.randomUUID()}`;
  const title = `smoke test ${runId}`;
  const filter = `title = "${title}" AND status = open AND priority >= high AND tags:smoke`;
  let tasks: Client<typeof TaskService> | undefined;
  let created: { id: string; etag: string } | undefined;
  let deleted = false;

  const steps: StepResult[] = [];
  const started = performance.now();
  const total = SMOKE_STEPS.length;

  /** Runs one step (with `attempts` tries), logs it, and records the result; false when it failed. */
  const step = async (name: SmokeStep, body: () => Promise<string>, attempts = 1): Promise<boolean> => {
    const index = SMOKE_STEPS.indexOf(name) + 1;
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const detail = await body();
        const ms = Math.round(performance.now() - t0);
        steps.push({ step: name, ok: true, ms, detail, attempts: attempt });
        log(`[${index}/${total}] ${name.padEnd(18)} ok    ${String(ms).padStart(5)} ms  ${detail}`);
        return true;
      } catch (err) {
        const detail = describeError(err);
        if (attempt < attempts) {
          log(
            `[${index}/${total}] ${name.padEnd(18)} not yet (attempt ${attempt}/${attempts}): ${detail}; again in ${retryDelayMs / 1000} s`,
          );
          await Bun.sleep(retryDelayMs);
          continue;
        }
        const ms = Math.round(performance.now() - t0);
        steps.push({ step: name, ok: false, ms, detail, attempts: attempt });
        const tries = attempts > 1 ? ` after ${attempt} attempts` : "";
        log(`[${index}/${total}] ${name.padEnd(18)} FAIL  ${String(ms).padStart(5)} ms  ${detail}${tries}`);
        return false;
      }
    }
  };

  const run = async (): Promise<void> => {
    const ready = await step(
      "health",
      async () => {
        const res = await health.check({ service: "" });
        const status = HealthCheckResponse_ServingStatus[res.status] ?? String(res.status);
        check(res.status === HealthCheckResponse_ServingStatus.SERVING, `the server reports ${status}`);
        return status;
      },
      retries + 1,
    );
    if (!ready) return;

    if (
      !(await step("web app", async () => {
        const res = await fetch(`${baseUrl}/`, {
          signal: AbortSignal.timeout(timeoutMs),
          tls: { ...(options.ca ? { ca: options.ca } : {}), rejectUnauthorized: !options.insecure },
        });
        const type = res.headers.get("content-type") ?? "";
        const body = await res.text();
        check(res.status === 200, `GET / answered ${res.status}`);
        check(type.startsWith("text/html") && /<html/i.test(body), `GET / is not an HTML page (${type})`);
        return `200 ${type.split(";")[0]}, ${body.length} bytes`;
      }))
    )
      return;

    if (
      !(await step("sign up", async () => {
        const res = await auth.signUp({ email, password, displayName: "Smoke test", timeZone: "UTC" });
        check(res.accessToken, "SignUp returned no access token");
        check(res.user?.email === email, `SignUp returned user ${JSON.stringify(res.user?.email)}`);
        return email;
      }))
    )
      return;

    if (
      !(await step("sign in", async () => {
        const res = await auth.signIn({ email, password });
        check(res.accessToken, "SignIn returned no access token");
        const me = await createClient(AuthService, transport(res.accessToken)).getCurrentUser({});
        check(
          me.user?.email === email,
          `GetCurrentUser named ${JSON.stringify(me.user?.email)}, not ${email}`,
        );
        tasks = createClient(TaskService, transport(res.accessToken));
        return `token accepted for ${me.user.id}`;
      }))
    )
      return;
    const api = tasks as Client<typeof TaskService>;

    if (
      !(await step("create task", async () => {
        const res = await api.createTask({
          task: { title, priority: Priority.HIGH, tags: ["smoke"] },
          requestId: `smoke-${runId}`,
        });
        check(res.task?.id, "CreateTask returned no task id");
        created = { id: res.task.id, etag: res.task.etag };
        return res.task.id;
      }))
    )
      return;
    const id = (created as { id: string }).id;

    if (
      !(await step("list with a filter", async () => {
        const res = await api.listTasks({ filter });
        const ids = res.tasks.map((t) => t.id);
        check(
          ids.length === 1 && ids[0] === id,
          `ListTasks(${filter}) returned [${ids.join(", ")}], not [${id}]`,
        );
        return `1 task for ${filter}`;
      }))
    )
      return;

    if (
      !(await step("delete task", async () => {
        await api.deleteTask({ id, etag: created?.etag ?? "" });
        deleted = true;
        return id;
      }))
    )
      return;

    await step("check it is gone", async () => {
      const err = await api.getTask({ id }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      check(err, `GetTask(${id}) still finds the deleted task`);
      check(err.code === Code.NotFound, `GetTask(${id}) failed with ${describeError(err)}, not NOT_FOUND`);
      const res = await api.listTasks({ filter });
      check(res.tasks.length === 0, `ListTasks still returns ${res.tasks.length} task(s) for the filter`);
      return "GetTask is NOT_FOUND, the list is empty";
    });
  };

  await run();
  if (created && !deleted && tasks) {
    // A later step failed: leave nothing behind but the account.
    await tasks.deleteTask({ id: created.id }).catch(() => {});
  }
  const failed = steps.find((s) => !s.ok);
  return {
    ok: !failed && steps.length === total,
    baseUrl,
    steps,
    failed,
    ms: Math.round(performance.now() - started),
  };
}

/** Parsed command line of `scripts/smoke.ts`. */
export interface SmokeCommand {
  readonly options: SmokeOptions;
  readonly help: boolean;
}

/** The usage text of `scripts/smoke.ts`. */
export const SMOKE_USAGE = `usage: bun scripts/smoke.ts [options] <base-url>     (or SMOKE_URL=<base-url>)

Runs the deployment smoke test against a running Todo's public HTTP/1.1 origin:
${SMOKE_STEPS.map((s, i) => `  ${i + 1}. ${s}`).join("\n")}

options:
  --timeout <seconds>      deadline of each call (default 10)
  --retries <n>            try the health step n more times while the deployment comes up (default 0)
  --retry-delay <seconds>  pause between health attempts (default 5)
  --binary                 Connect binary encoding instead of JSON
  --ca <file>              PEM CA certificate(s) to trust for https (also: NODE_EXTRA_CA_CERTS)
  --insecure               accept any TLS certificate (lab clusters only)
  -h, --help               this text

Exit status: 0 when every step passed, 1 when one failed (it is named), 2 for a usage error.`;

function seconds(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min)
    throw new Error(`${flag} wants a number of seconds >= ${min}, not "${value}"`);
  return n;
}

/**
 * Parses `scripts/smoke.ts`'s arguments (`argv` without the runtime and script); the URL may come
 * from `env.SMOKE_URL` instead. Throws an Error whose message is meant for the user.
 */
export function parseSmokeArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): SmokeCommand {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help" || arg === "--binary" || arg === "--insecure") flags.add(arg);
    else if (["--timeout", "--retries", "--retry-delay", "--ca"].includes(arg.split("=")[0] as string)) {
      const [name, inline] = arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg];
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${name} needs a value`);
      values[name as string] = value;
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const help = flags.has("-h") || flags.has("--help");
  if (positional.length > 1) throw new Error(`one base URL, please (got ${positional.join(" ")})`);
  const baseUrl = positional[0] ?? env.SMOKE_URL ?? "";
  if (!baseUrl && !help) throw new Error("no base URL: pass one, or set SMOKE_URL");
  const retries = seconds("--retries", values["--retries"], 0, 0);
  if (!Number.isInteger(retries))
    throw new Error(`--retries wants a whole number, not "${values["--retries"]}"`);
  const caFile = values["--ca"];
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, "utf8");
    } catch (err) {
      throw new Error(`--ca ${caFile}: ${(err as Error).message}`);
    }
  }
  return {
    help,
    options: {
      baseUrl: baseUrl && normaliseBaseUrl(baseUrl),
      timeoutMs: seconds("--timeout", values["--timeout"], 10, 0.001) * 1000,
      retries,
      retryDelayMs: seconds("--retry-delay", values["--retry-delay"], 5, 0) * 1000,
      binary: flags.has("--binary"),
      insecure: flags.has("--insecure"),
      ca,
    },
  };
}
