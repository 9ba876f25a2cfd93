/** watchTasks against an in-memory server that breaks its streams on purpose. */
import { describe, expect, test } from "bun:test";
import { Code, ConnectError, type ConnectRouter, createRouterTransport } from "@connectrpc/connect";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTodoClient } from "./index.js";
import type { WatchDisconnect } from "./watch-tasks.js";

function clientOn(routes: (router: ConnectRouter) => void) {
  return createTodoClient({ transport: createRouterTransport(routes) });
}
const quick = { initialDelayMs: 5, maxDelayMs: 10 };

describe("watchTasks", () => {
  test("reconnects after a broken stream, says so, skips keep-alives, and a break closes the stream", async () => {
    let opened = 0;
    let lastClosed = false;
    const client = clientOn((r) =>
      r.service(TaskService, {
        async *watchTasks(_req, ctx) {
          opened++;
          ctx.signal.addEventListener("abort", () => {
            lastClosed = true;
          });
          yield {};
          yield { change: { eventId: `e${opened}` } };
          if (opened === 1) throw new ConnectError("replica restarting", Code.Unavailable);
          yield {};
          await new Promise(() => {}); // stays open until the client leaves
        },
      }),
    );
    const connected: boolean[] = [];
    const disconnects: WatchDisconnect[] = [];
    const ids: string[] = [];
    for await (const change of client.watchTasks({
      ...quick,
      onConnected: (info) => connected.push(info.reconnected),
      onDisconnected: (info) => disconnects.push(info),
    })) {
      ids.push(change.eventId);
      if (ids.length === 2) break;
    }
    expect(ids).toEqual(["e1", "e2"]);
    expect(connected).toEqual([false, true]);
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]?.error?.code).toBe(Code.Unavailable);
    expect(disconnects[0]?.attempt).toBe(1);
    expect(disconnects[0]?.delayMs).toBeLessThanOrEqual(quick.initialDelayMs);
    await Bun.sleep(20);
    expect(lastClosed).toBe(true);
  });

  test("backs off longer after each failed attempt and gives up after maxAttempts with the last error", async () => {
    let opened = 0;
    const client = clientOn((r) =>
      r.service(TaskService, {
        // biome-ignore lint/correctness/useYield: a stream that fails before its first message
        async *watchTasks() {
          opened++;
          throw new ConnectError(`down ${opened}`, Code.Unavailable);
        },
      }),
    );
    const delays: number[] = [];
    let error: ConnectError | undefined;
    try {
      for await (const _ of client.watchTasks({
        initialDelayMs: 4,
        maxDelayMs: 16,
        maxAttempts: 5,
        random: () => 1,
        onDisconnected: (info) => delays.push(info.delayMs),
      })) {
        throw new Error("no change was sent");
      }
    } catch (caught) {
      error = ConnectError.from(caught);
    }
    expect(opened).toBe(5);
    expect(delays).toEqual([4, 8, 16, 16]);
    expect(error?.rawMessage).toBe("down 5");
  });

  test("an error another attempt would repeat (UNAUTHENTICATED) is thrown at once", async () => {
    let opened = 0;
    const client = clientOn((r) =>
      r.service(TaskService, {
        // biome-ignore lint/correctness/useYield: a stream that is refused
        async *watchTasks() {
          opened++;
          throw new ConnectError("token expired", Code.Unauthenticated);
        },
      }),
    );
    const run = async () => {
      for await (const _ of client.watchTasks(quick)) throw new Error("no change was sent");
    };
    expect(run()).rejects.toThrow("token expired");
    await Bun.sleep(30);
    expect(opened).toBe(1);
  });

  test("a silent stream is replaced after idleTimeoutMs; the caller's signal ends the watch without an error", async () => {
    let opened = 0;
    const client = clientOn((r) =>
      r.service(TaskService, {
        async *watchTasks() {
          opened++;
          yield {};
          if (opened === 2) yield { change: { eventId: "after-idle" } };
          await new Promise(() => {});
        },
      }),
    );
    const controller = new AbortController();
    const disconnects: WatchDisconnect[] = [];
    const ids: string[] = [];
    const started = performance.now();
    for await (const change of client.watchTasks({
      ...quick,
      idleTimeoutMs: 100,
      signal: controller.signal,
      onDisconnected: (info) => disconnects.push(info),
    })) {
      ids.push(change.eventId);
      controller.abort();
    }
    expect(ids).toEqual(["after-idle"]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(disconnects[0]?.error?.rawMessage).toBe("no message for 100 ms");
  });
});
