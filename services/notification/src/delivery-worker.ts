/**
 * The delivery worker: sends pending deliveries to webhooks and e-mail, and records every attempt in
 * the delivery log. Safe with several replicas: a worker claims due rows with `FOR UPDATE SKIP
 * LOCKED` and a lease (`claimed_until`), sends without holding a transaction (PGlite runs one at a
 * time), and records the outcome only while it still holds the claim. A worker that dies mid-send
 * loses its lease, and the row is sent again after it — so a receiver may see a delivery twice and
 * should drop repeats by the delivery id. The loop is the platform's lease worker
 * (`createLeaseWorker`); this file keeps the claim and record statements and the sending.
 *
 * Success is a 2xx answer (webhook) or acceptance by the SMTP server (e-mail). Anything else — another
 * status, a refused or unreachable target, a timeout — is retried after `backoffBaseMs`, doubling each
 * time (capped at `backoffMaxMs`; the platform's `backoffDelay`), until `maxAttempts` attempts were
 * made; then the delivery is FAILED.
 *
 * With tracing on, each attempt is a CLIENT span continuing the trace the delivery was queued in
 * (delivery-tracing.ts), and a webhook request carries that span's `traceparent`.
 */
import { toJson } from "@bufbuild/protobuf";
import { NotificationSchema } from "@todo/gen/todo/notification/v1/notification_pb";
import { createLogger, type Logger, type Sql } from "@todo/platform";
import { type BackoffPolicy, backoffDelay, createLeaseWorker, type Lease } from "@todo/platform/jobs";
import { instrumentsFor, observeRefreshing } from "@todo/platform/telemetry";
import { startDeliverySpan } from "./delivery-tracing";
import type { Mailer } from "./mailer";
import { toNotification } from "./messages";
import type { NotificationRow } from "./store";
import { sendWebhook } from "./webhook";

/** How the worker runs. */
export interface DeliveryWorkerOptions {
  readonly sql: Sql;
  /** Sends e-mail; without one, e-mail deliveries fail ("SMTP is not configured") and are retried. */
  readonly mailer?: Mailer | undefined;
  /** Call webhooks on loopback and private addresses too (tests, trusted networks); default false. */
  readonly allowPrivateTargets?: boolean;
  /** Attempts per delivery before it is FAILED; default 6. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubling each time; default 10 s. */
  readonly backoffBaseMs?: number;
  /** The longest wait between attempts; default 1 h. */
  readonly backoffMaxMs?: number;
  /** How long one webhook request may take; default 10 s. */
  readonly timeoutMs?: number;
  /** How often to look for due deliveries without being woken; default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Deliveries claimed (and sent concurrently) per round; default 16. */
  readonly batchSize?: number;
  /** How long a claim lasts; default `timeoutMs` + 30 s (it must outlast a send). */
  readonly leaseMs?: number;
  readonly logger?: Logger;
}

/** A running (or not yet started) worker. */
export interface DeliveryWorker {
  /** Starts the polling loop (idempotent). */
  start(): void;
  /** Looks for due deliveries now (call after committing new ones). */
  wake(): void;
  /** Runs one claim-and-send round and returns how many deliveries it attempted (tests, tools). */
  runOnce(): Promise<number>;
  /** Stops after the round in progress (a claim still running in PostgreSQL is cancelled). */
  stop(): Promise<void>;
}

interface ClaimedDelivery {
  id: string;
  attempts: number;
  kind: "webhook" | "email";
  target: string;
  signing_secret: string | null;
  traceparent: string | null;
  n_id: string;
  n_user_id: string;
  n_occurrence_key: string;
  n_task_id: string;
  n_reminder_id: string;
  n_title: string;
  n_body: string;
  n_fire_time: Date;
  n_create_time: Date;
  n_read_time: Date | null;
}

/** The outcome of one attempt. */
interface Outcome {
  readonly ok: boolean;
  readonly status: number;
  readonly error: string;
  /** What was thrown, when something was (for the attempt's span). */
  readonly cause?: unknown;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
    return `${err.message}${cause}`.slice(0, 500);
  }
  return String(err).slice(0, 500);
}

function notificationOf(d: ClaimedDelivery): NotificationRow {
  return {
    id: d.n_id,
    user_id: d.n_user_id,
    occurrence_key: d.n_occurrence_key,
    task_id: d.n_task_id,
    reminder_id: d.n_reminder_id,
    title: d.n_title,
    body: d.n_body,
    fire_time: d.n_fire_time,
    create_time: d.n_create_time,
    read_time: d.n_read_time,
    create_key: "",
  };
}

/** Delivery metrics (docs/metrics.md, "Notifications"), or undefined while metrics are off. */
function deliveryInstruments() {
  return instrumentsFor("todo.notification", "deliveries", (meter) => ({
    meter,
    deliveries: meter.createCounter("todo.notification.deliveries", {
      unit: "{delivery}",
      description: "Delivery attempts by channel kind and outcome (succeeded, retrying, failed).",
    }),
    duration: meter.createHistogram("todo.notification.delivery.duration", {
      unit: "s",
      description: "Duration of a delivery attempt: the webhook request or the SMTP send.",
      advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
    }),
    pending: meter.createObservableUpDownCounter("todo.notification.deliveries.pending", {
      unit: "{delivery}",
      description: "Deliveries waiting for an attempt.",
    }),
  }));
}

/** The outcome label of an attempt that left the delivery in `state`. */
const OUTCOMES = { succeeded: "succeeded", pending: "retrying", failed: "failed" } as const;

/** Creates the worker; call `start()` to run it. */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { sql, mailer } = options;
  const allowPrivate = options.allowPrivateTargets ?? false;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const retry: BackoffPolicy = {
    minMs: options.backoffBaseMs ?? 10_000,
    maxMs: options.backoffMaxMs ?? 3_600_000,
  };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pollMs = options.pollIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 16;
  const leaseMs = options.leaseMs ?? timeoutMs + 30_000;
  const log = options.logger ?? createLogger("delivery-worker");
  const metrics = deliveryInstruments();
  const attributeSets = new Map<string, Record<string, string>>();
  const attributesOf = (kind: string, state: keyof typeof OUTCOMES) => {
    const key = `${kind}|${state}`;
    let attrs = attributeSets.get(key);
    if (!attrs) {
      attrs = { "todo.notification.channel": kind, "todo.notification.outcome": OUTCOMES[state] };
      attributeSets.set(key, attrs);
    }
    return attrs;
  };

  const claim = async (lease: Lease) => {
    // A connection of its own until a cancel sent by stop() was taken (lease-worker.ts).
    const conn = await sql.reserve();
    const query = conn.unsafe<ClaimedDelivery[]>(
      `with due as (
         select d.id from notification.deliveries d
         join notification.channels c on c.id = d.channel_id and c.enabled
         where d.state = 'pending' and d.next_attempt_time <= now()
           and (d.claimed_until is null or d.claimed_until < now())
         order by d.next_attempt_time
         limit $1
         for update of d skip locked)
       update notification.deliveries d
       set claim = $2, claimed_until = now() + $3 * interval '1 millisecond'
       from due, notification.channels c, notification.notifications n
       where d.id = due.id and c.id = d.channel_id and n.id = d.notification_id
       returning d.id, d.attempts, c.kind, c.target, c.signing_secret, d.traceparent,
         n.id as n_id, n.user_id as n_user_id, n.occurrence_key as n_occurrence_key, n.task_id as n_task_id,
         n.reminder_id as n_reminder_id, n.title as n_title, n.body as n_body, n.fire_time as n_fire_time,
         n.create_time as n_create_time, n.read_time as n_read_time`,
      [batchSize, lease.token, lease.leaseMs],
      { prepare: true },
    );
    try {
      return await lease.cancellable(query);
    } finally {
      conn.release();
    }
  };

  const attempt = async (d: ClaimedDelivery, traceparent: string | undefined): Promise<Outcome> => {
    const notification = notificationOf(d);
    try {
      if (d.kind === "webhook") {
        if (!d.signing_secret) return { ok: false, status: 0, error: "the channel has no signing secret" };
        const res = await sendWebhook({
          url: d.target,
          secret: d.signing_secret,
          deliveryId: d.id,
          notification: toJson(NotificationSchema, toNotification(notification), { useProtoFieldName: true }),
          timeoutMs,
          allowPrivate,
          traceparent,
        });
        if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: "" };
        const detail = res.bodyStart.replace(/\s+/g, " ").trim();
        return { ok: false, status: res.status, error: `HTTP ${res.status}${detail ? `: ${detail}` : ""}` };
      }
      if (!mailer) return { ok: false, status: 0, error: "SMTP is not configured on the server (SMTP_URL)" };
      await mailer.send({
        to: d.target,
        subject: notification.title,
        text: `${notification.body}\n\n— Todo\n`,
        headers: { "X-Todo-Notification": notification.id, "X-Todo-Delivery": d.id },
      });
      return { ok: true, status: 0, error: "" };
    } catch (err) {
      return { ok: false, status: 0, error: errorText(err), cause: err };
    }
  };

  /** What an attempt with `outcome` leaves the delivery as. */
  const stateAfter = (d: ClaimedDelivery, outcome: Outcome): keyof typeof OUTCOMES =>
    outcome.ok ? "succeeded" : d.attempts + 1 >= maxAttempts ? "failed" : "pending";

  const record = async (d: ClaimedDelivery, token: string, outcome: Outcome, seconds: number) => {
    const attempts = d.attempts + 1;
    const state = stateAfter(d, outcome);
    if (metrics) {
      const attrs = attributesOf(d.kind, state);
      metrics.deliveries.add(1, attrs);
      metrics.duration.record(seconds, attrs);
    }
    const delay = state === "pending" ? backoffDelay(attempts, retry) : null;
    await sql.unsafe(
      `update notification.deliveries
       set state = $3, attempts = $4, last_status_code = $5, last_error = $6,
         next_attempt_time = case when $7::bigint is null then null
                                  else now() + $7::bigint * interval '1 millisecond' end,
         claim = null, claimed_until = null, update_time = now()
       where id = $1 and claim = $2`,
      [d.id, token, state, attempts, outcome.status, outcome.error, delay],
      { prepare: true },
    );
    if (!outcome.ok) {
      log.warn("delivery attempt failed", {
        delivery_id: d.id,
        kind: d.kind,
        attempts,
        state,
        status: outcome.status,
        error: outcome.error,
      });
    }
  };

  /** Sends the claimed deliveries concurrently, recording each outcome while the claim holds. */
  const send = async (claimed: readonly ClaimedDelivery[], lease: Lease) => {
    await Promise.all(
      claimed.map(async (d) => {
        const started = performance.now();
        const span = startDeliverySpan(d, mailer);
        const outcome = await attempt(d, span?.traceparent);
        span?.end({ ...outcome, outcome: OUTCOMES[stateAfter(d, outcome)] });
        await record(d, lease.token, outcome, (performance.now() - started) / 1000);
      }),
    );
  };

  const worker = createLeaseWorker<ClaimedDelivery>({
    claim,
    handle: send,
    batchSize,
    leaseMs,
    pollIntervalMs: pollMs,
    // A failed round (the database) waits 2 × pollIntervalMs, doubling up to 30 s.
    backoff: { minMs: Math.min(2 * pollMs, 30_000), maxMs: 30_000 },
    logger: log,
    roundFailedMessage: "delivery round failed",
  });

  let unobserve = () => {};
  return {
    start() {
      if (worker.started || worker.stopped) return;
      if (metrics) {
        unobserve = observeRefreshing(
          metrics.meter,
          [metrics.pending],
          async () => {
            const [row] = await sql.unsafe<{ n: number }[]>(
              `select count(*)::int as n from notification.deliveries where state = 'pending'`,
              [],
              { prepare: true },
            );
            return row?.n ?? 0;
          },
          (result, n) => result.observe(metrics.pending, n),
          { logger: log, name: "notification.deliveries pending" },
        );
      }
      worker.start();
    },
    wake: () => worker.wake(),
    runOnce: () => worker.runOnce(),
    async stop() {
      unobserve();
      await worker.stop();
    },
  };
}
