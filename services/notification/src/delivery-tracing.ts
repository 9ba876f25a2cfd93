/**
 * Spans of delivery attempts (docs/tracing.md, "Deliveries"). A pending delivery is written in the
 * `reminders` consumer's transaction with the W3C `traceparent` of the span active there — the
 * `process reminders` span — in `notification.deliveries.traceparent`, so each attempt the worker
 * makes, maybe much later and on another replica, continues the reminder's trace: one CLIENT span per
 * attempt, the child of that stored span (a delivery stored outside any trace gets a root span).
 *
 * - Webhook: `POST`, the HTTP client conventions (`http.request.method`, `url.full` without user
 *   info, query or long path segments, `server.address`, `server.port`, `http.response.status_code`,
 *   `http.request.resend_count` on a retry, `error.type`); the request carries the span's W3C
 *   `traceparent`, so the receiver can join the trace.
 * - E-mail: `smtp send`, with `network.protocol.name` `smtp`, `server.address` and `server.port` of
 *   the SMTP server (nothing else of the conventions applies to SMTP), `error.type` on failure.
 *
 * Both carry `todo.notification.channel` (`webhook`, `email`), `todo.notification.outcome`
 * (`succeeded`, `retrying`, `failed`: the same values as the delivery metrics),
 * `todo.notification.delivery.id` and `todo.notification.delivery.attempt` (1 = the first).
 */
import {
  type ClientSpan,
  ClientSpanAttributes,
  startClientSpan,
  startHttpClientSpan,
} from "@todo/platform/telemetry";
import type { Mailer } from "./mailer";

/** Delivery span attribute keys of ours (`todo.*`: no convention has them). */
export const DeliverySpanAttributes = {
  channel: "todo.notification.channel",
  outcome: "todo.notification.outcome",
  deliveryId: "todo.notification.delivery.id",
  attempt: "todo.notification.delivery.attempt",
} as const;

const A = { ...DeliverySpanAttributes, ...ClientSpanAttributes };

/** What a span needs of a claimed delivery. */
export interface TracedDelivery {
  readonly id: string;
  readonly kind: "webhook" | "email";
  readonly target: string;
  /** Attempts made before this one. */
  readonly attempts: number;
  /** The stored W3C `traceparent` of the operation that queued the delivery. */
  readonly traceparent: string | null;
}

/** How an attempt went, and what it left the delivery as. */
export interface AttemptResult {
  readonly ok: boolean;
  /** The webhook's answer (0 when there was none, and for e-mail). */
  readonly status: number;
  /** The failure as recorded in the delivery log. */
  readonly error: string;
  /** What was thrown, when something was. */
  readonly cause?: unknown;
  /** `succeeded`, `retrying` or `failed`. */
  readonly outcome: string;
}

/** The span of one attempt. */
export interface DeliverySpan {
  /** The W3C `traceparent` of the span (what a webhook request carries). */
  readonly traceparent: string | undefined;
  /** Records the result and ends the span. */
  end(result: AttemptResult): void;
}

/** Starts the span of attempt number `d.attempts + 1`; undefined while tracing is off. */
export function startDeliverySpan(d: TracedDelivery, mailer: Mailer | undefined): DeliverySpan | undefined {
  const attempt = d.attempts + 1;
  const ours = { [A.channel]: d.kind, [A.deliveryId]: d.id, [A.attempt]: attempt };
  const { traceparent } = d;
  if (d.kind === "webhook" && URL.canParse(d.target)) {
    const span = startHttpClientSpan({
      method: "POST",
      url: new URL(d.target),
      traceparent,
      attempt,
      attributes: ours,
    });
    if (!span) return undefined;
    return {
      traceparent: span.traceparent,
      end(result) {
        span.set({ [A.outcome]: result.outcome });
        span.finish(result.ok || result.status > 0 ? { status: result.status } : { err: causeOf(result) });
      },
    };
  }
  const smtp = mailer?.server;
  const span = startClientSpan(d.kind === "webhook" ? "POST" : "smtp send", {
    traceparent,
    attributes: {
      ...ours,
      ...(d.kind === "email" ? { [A.protocolName]: "smtp" } : {}),
      ...(d.kind === "email" && smtp ? { [A.serverAddress]: smtp.address, [A.serverPort]: smtp.port } : {}),
    },
  });
  return span && plainSpan(span);
}

/** A delivery span on a span without HTTP attributes (e-mail, or a webhook URL that does not parse). */
function plainSpan(span: ClientSpan): DeliverySpan {
  return {
    traceparent: span.traceparent,
    end(result) {
      span.set({ [A.outcome]: result.outcome });
      if (!result.ok) span.fail({ message: result.error, err: result.cause });
      span.end();
    },
  };
}

/** Why an attempt that got no answer failed: what was thrown, or the recorded text. */
function causeOf(result: AttemptResult): unknown {
  return result.cause ?? new Error(result.error);
}
