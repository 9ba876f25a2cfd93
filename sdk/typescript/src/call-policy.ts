/**
 * What the client adds to every call, as a `Transport` wrapped around the real one: the
 * `authorization` header, a default deadline for unary calls, CreateTask's `request_id`, and
 * retries of the idempotent RPCs (retried-methods.ts). Wrapping the transport rather than adding
 * an interceptor lets each attempt carry what is left of the one deadline (`grpc-timeout` /
 * `connect-timeout-ms` shrink from attempt to attempt), and works for any transport, including
 * `createRouterTransport` in tests.
 */
import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type StreamResponse,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { abortError, backoffDelay, sleep } from "./backoff.js";
import { newRequestId } from "./request-id.js";
import { CREATE_TASK, methodName, RETRIED_METHODS } from "./retried-methods.js";

/** Returns the access token to send, or nothing to send none (SignUp and SignIn need none). */
export type TokenSource = () => string | undefined | Promise<string | undefined>;

/** How the idempotent RPCs are retried. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 3). 1 turns retries off. */
  readonly maxAttempts?: number;
  /** The wait before the first retry (default 200 ms); it doubles for each further one. */
  readonly initialDelayMs?: number;
  /** The longest wait between attempts (default 2000 ms). */
  readonly maxDelayMs?: number;
}

/** The resolved policy. */
export interface CallPolicy {
  readonly getToken: TokenSource | undefined;
  /** The deadline of a unary call that sets none; 0 means none. */
  readonly timeoutMs: number;
  readonly retry: Required<RetryOptions>;
  /** Random numbers for the jitter; tests pin it. */
  readonly random?: () => number;
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 3,
  initialDelayMs: 200,
  maxDelayMs: 2_000,
};

/** The default deadline of a unary call: 10 s. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Whether a failed attempt may be repeated: UNAVAILABLE (the server or a proxy said so, or the
 * connection failed), or UNKNOWN caused by a `TypeError` — how `fetch` (the Connect and gRPC-web
 * transports in a browser) reports a connection that failed before any answer.
 */
export function isTransient(error: ConnectError): boolean {
  return error.code === Code.Unavailable || (error.code === Code.Unknown && error.cause instanceof TypeError);
}

/** The header set of one attempt: the caller's, plus the bearer token unless the caller set its own. */
async function headersWithToken(header: HeadersInit | undefined, getToken: TokenSource | undefined) {
  const headers = new Headers(header);
  if (getToken && !headers.has("authorization")) {
    let token: string | undefined;
    try {
      token = await getToken();
    } catch (error) {
      throw new ConnectError(
        `getToken failed: ${(error as Error)?.message ?? String(error)}`,
        Code.Unauthenticated,
        undefined,
        undefined,
        error,
      );
    }
    if (token) headers.set("authorization", `Bearer ${token}`);
  }
  return headers;
}

/** `transport` with {@link CallPolicy} applied (see the module comment). */
export function withCallPolicy(transport: Transport, policy: CallPolicy): Transport {
  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const name = methodName(method);
      let message = input;
      if (name === CREATE_TASK) {
        const request = input as { requestId?: string };
        // Filled once, before the first attempt, so that every attempt carries the same key.
        if (!request.requestId) message = { ...input, requestId: newRequestId() };
      }
      const budget = timeoutMs ?? policy.timeoutMs;
      const deadline = budget > 0 ? Date.now() + budget : undefined;
      const attempts = RETRIED_METHODS.has(name) ? Math.max(1, policy.retry.maxAttempts) : 1;
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw abortError(signal);
        const remaining = deadline === undefined ? undefined : deadline - Date.now();
        if (remaining !== undefined && remaining <= 0) {
          throw new ConnectError(`the ${budget} ms deadline passed`, Code.DeadlineExceeded);
        }
        try {
          const headers = await headersWithToken(header, policy.getToken);
          return await transport.unary(method, signal, remaining, headers, message, contextValues);
        } catch (caught) {
          const error = ConnectError.from(caught);
          if (attempt >= attempts || !isTransient(error) || signal?.aborted) throw error;
          const delay = backoffDelay(attempt - 1, policy.retry, policy.random);
          // A wait that would outlast the deadline cannot end in an answer: report what happened.
          if (deadline !== undefined && Date.now() + delay >= deadline) throw error;
          await sleep(delay, signal);
        }
      }
    },

    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      // No default deadline (a watch is meant to stay open) and no retry: watchTasks reconnects.
      const headers = await headersWithToken(header, policy.getToken);
      return transport.stream(method, signal, timeoutMs, headers, input, contextValues);
    },
  };
}
