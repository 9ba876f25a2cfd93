/**
 * Component-test helpers for the editor and the Tags/Notifications pages: fake services behind
 * Connect's in-memory router transport, provided through the app's one TransportProvider, and a
 * push queue for server streams. Test-only; nothing in the app imports it.
 */
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, Transport } from "@connectrpc/connect";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { render } from "@solidjs/testing-library";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import type { JSX } from "solid-js";
import { TransportProvider } from "../../api/transport";

/** Renders `ui` with a router transport whose services `routes` registers. */
export function renderWithServices(ui: () => JSX.Element, routes: (router: ConnectRouter) => void) {
  const transport: Transport = createRouterTransport(routes);
  return render(() => <TransportProvider transport={transport}>{ui()}</TransportProvider>);
}

/** INVALID_ARGUMENT with `google.rpc.BadRequest` field violations, as the server's validation sends. */
export function badRequest(violations: Array<{ field: string; description: string }>): ConnectError {
  return new ConnectError(
    violations.map((v) => `${v.field}: ${v.description}`).join("; "),
    Code.InvalidArgument,
    undefined,
    [{ desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: violations }) }],
  );
}

/** A server stream the test feeds: `push` a message, `fail` the current call, `calls` counts opens. */
export function pushStream<T>() {
  let waiting: ((v: { msg?: T; err?: unknown }) => void) | undefined;
  const queue: Array<{ msg?: T; err?: unknown }> = [];
  let calls = 0;
  const deliver = (item: { msg?: T; err?: unknown }) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(item);
    } else queue.push(item);
  };
  return {
    get calls() {
      return calls;
    },
    push(msg: T) {
      deliver({ msg });
    },
    fail(err: unknown) {
      deliver({ err });
    },
    async *serve(signal: AbortSignal): AsyncGenerator<T> {
      calls += 1;
      while (!signal.aborted) {
        const item =
          queue.shift() ??
          (await new Promise<{ msg?: T; err?: unknown }>((resolve) => {
            waiting = resolve;
            signal.addEventListener(
              "abort",
              () => resolve({ err: new ConnectError("cancelled", Code.Canceled) }),
              {
                once: true,
              },
            );
          }));
        if (item.err) throw item.err;
        if (item.msg) yield item.msg;
      }
    },
  };
}
