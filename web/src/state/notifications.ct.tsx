import { create } from "@bufbuild/protobuf";
import { NotificationSchema } from "@todo/gen/todo/notification/v1/notification_pb";
import { createRoot } from "solid-js";
import { describe, expect, it } from "vitest";
import { createFirstScreen } from "./first-screen";
import { createNotificationCenter, type NotificationCalls } from "./notifications";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function fakeCalls() {
  const made: string[] = [];
  const calls: NotificationCalls = {
    async list() {
      made.push("list");
      return { notifications: [create(NotificationSchema, { id: "n1", title: "Pay rent" })], unreadCount: 1 };
    },
    async markRead() {
      made.push("markRead");
      return {};
    },
    watch(_req, opts) {
      made.push("watch");
      opts.onHeader?.();
      return {
        async *[Symbol.asyncIterator]() {
          await new Promise<void>((_, reject) =>
            opts.signal.addEventListener("abort", () => reject(new Error("stop"))),
          );
        },
      };
    },
  };
  return { calls, made };
}

describe("notification centre start-up", () => {
  it("makes no call and reads no permission until the first screen is shown", async () => {
    const { calls, made } = fakeCalls();
    const gate = createFirstScreen(10_000);
    const center = createRoot(() => createNotificationCenter(calls, { startAfter: (fn) => gate.after(fn) }));
    await tick(20);
    expect(made).toEqual([]);
    expect(center.unread()).toBe(0);
    expect(center.permission()).toBe("default");
    gate.shown();
    await tick(30);
    expect(made).toEqual(expect.arrayContaining(["list", "watch"]));
    expect(center.unread()).toBe(1);
    expect(center.recent().map((n) => n.title)).toEqual(["Pay rent"]);
    center.stop();
  });

  it("starts at once without a gate, and never after being stopped", async () => {
    const now = fakeCalls();
    const center = createRoot(() => createNotificationCenter(now.calls));
    await tick(10);
    expect(now.made).toEqual(expect.arrayContaining(["list", "watch"]));
    center.stop();

    const stopped = fakeCalls();
    let start: (() => void) | undefined;
    const never = createRoot(() =>
      createNotificationCenter(stopped.calls, {
        startAfter: (fn) => {
          start = fn;
        },
      }),
    );
    never.stop();
    start?.();
    await tick(10);
    expect(stopped.made).toEqual([]);
  });
});
