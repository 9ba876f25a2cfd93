/**
 * The key/value state port: the in-memory adapter's first-write-wins contract, and how the Dapr
 * adapter maps it onto `@dapr/dapr`'s state calls and the sidecar's answers (a recording stand-in
 * for the client; the real sidecar is exercised by the Dapr end-to-end tests).
 */
import { describe, expect, test } from "bun:test";
import type { DaprClient } from "@dapr/dapr";
import { createMemoryState, type KeyValueState } from "./state";
import { createDaprState } from "./state-dapr";

describe("createMemoryState", () => {
  test("a key is created only when absent, and updated only at the etag last read", async () => {
    const state = createMemoryState();
    expect(await state.get("k")).toBeUndefined();
    expect(await state.setIf("k", "one", undefined)).toBe(true);
    expect(await state.setIf("k", "again", undefined)).toBe(false);
    const first = await state.get("k");
    expect(first?.value).toBe("one");
    expect(await state.setIf("k", "two", first?.etag)).toBe(true);
    // The etag moved on: a writer still holding the first one loses.
    expect(await state.setIf("k", "stale", first?.etag)).toBe(false);
    const second = await state.get("k");
    expect(second?.value).toBe("two");
    expect(second?.etag).not.toBe(first?.etag);
    expect(state.snapshot()).toEqual(new Map([["k", "two"]]));
  });

  test("delete needs the current etag", async () => {
    const state = createMemoryState();
    await state.setIf("k", "v", undefined);
    const entry = await state.get("k");
    expect(await state.deleteIf("k", "not-it")).toBe(false);
    expect(await state.deleteIf("k", entry?.etag ?? "")).toBe(true);
    expect(await state.get("k")).toBeUndefined();
    expect(await state.deleteIf("k", entry?.etag ?? "")).toBe(false);
    // Deleted: creatable again.
    expect(await state.setIf("k", "w", undefined)).toBe(true);
  });

  test("of many writers racing from one read, exactly one wins", async () => {
    const state = createMemoryState();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => state.setIf("k", `w${i}`, undefined)),
    );
    expect(results.filter(Boolean).length).toBe(1);
    const entry = await state.get("k");
    const updates = await Promise.all(
      Array.from({ length: 20 }, (_, i) => state.setIf("k", `u${i}`, entry?.etag)),
    );
    expect(updates.filter(Boolean).length).toBe(1);
  });
});

/** An error as `@dapr/dapr`'s HTTP client throws it for a failed transaction. */
function sidecarError(message: string): Error {
  return new Error(JSON.stringify({ error: "Internal Server Error", error_msg: message, status: 500 }));
}

interface Call {
  readonly method: string;
  readonly args: unknown[];
}

/** A stand-in for the client's `state` API: answers from `answers`, records every call. */
function fakeClient(answers: { getBulk?: () => unknown[]; transaction?: () => void }): {
  client: DaprClient;
  calls: Call[];
} {
  const calls: Call[] = [];
  const client = {
    state: {
      getBulk: async (...args: unknown[]) => {
        calls.push({ method: "getBulk", args });
        return answers.getBulk?.() ?? [];
      },
      transaction: async (...args: unknown[]) => {
        calls.push({ method: "transaction", args });
        answers.transaction?.();
      },
    },
  } as unknown as DaprClient;
  return { client, calls };
}

const FIRST_WRITE = { concurrency: 1, consistency: 2 };

describe("createDaprState", () => {
  const open = (answers: Parameters<typeof fakeClient>[0]): { state: KeyValueState; calls: Call[] } => {
    const { client, calls } = fakeClient(answers);
    return { state: createDaprState(client, { storeName: "statestore" }), calls };
  };
  const refuse = () => {
    throw sidecarError("failed saving state: no item was updated");
  };

  test("get reads value and etag through a one-key bulk get; a key without data is absent", async () => {
    const found = open({ getBulk: () => [{ key: "digest|u", data: "2026-03-10", etag: "42" }] });
    expect(await found.state.get("digest|u")).toEqual({ value: "2026-03-10", etag: "42" });
    expect(found.calls).toEqual([{ method: "getBulk", args: ["statestore", ["digest|u"]] }]);

    const missing = open({ getBulk: () => [{ key: "digest|u" }] });
    expect(await missing.state.get("digest|u")).toBeUndefined();

    const failing = open({ getBulk: () => [{ key: "digest|u", error: "boom" }] });
    await expect(failing.state.get("digest|u")).rejects.toThrow(/boom/);
  });

  test("setIf sends one first-write upsert with the etag (none to create)", async () => {
    const ok = open({});
    expect(await ok.state.setIf("k", "v", "7")).toBe(true);
    expect(await ok.state.setIf("n", "v", undefined)).toBe(true);
    expect(ok.calls.map((c) => c.args)).toEqual([
      [
        "statestore",
        [{ operation: "upsert", request: { key: "k", value: "v", etag: "7", options: FIRST_WRITE } }],
      ],
      ["statestore", [{ operation: "upsert", request: { key: "n", value: "v", options: FIRST_WRITE } }]],
    ]);
  });

  test("a refused write is told from a failed one by reading the key again", async () => {
    // Updating at etag 7, but the key has moved on to 8: somebody else won.
    const moved = open({ transaction: refuse, getBulk: () => [{ key: "k", data: "theirs", etag: "8" }] });
    expect(await moved.state.setIf("k", "mine", "7")).toBe(false);
    expect(moved.calls.map((c) => c.method)).toEqual(["transaction", "getBulk"]);

    // Creating, but the key exists: somebody else won.
    const exists = open({ transaction: refuse, getBulk: () => [{ key: "k", data: "theirs", etag: "9" }] });
    expect(await exists.state.setIf("k", "mine", undefined)).toBe(false);

    // Updating at etag 7, but the key is gone: lost too.
    const gone = open({ transaction: refuse, getBulk: () => [{ key: "k" }] });
    expect(await gone.state.setIf("k", "mine", "7")).toBe(false);

    // The key is exactly as expected, so the store itself failed.
    const stillAbsent = open({ transaction: refuse, getBulk: () => [{ key: "k" }] });
    await expect(stillAbsent.state.setIf("k", "mine", undefined)).rejects.toThrow(
      /upsert k on statestore failed/,
    );
    const stillThere = open({ transaction: refuse, getBulk: () => [{ key: "k", data: "v", etag: "7" }] });
    await expect(stillThere.state.setIf("k", "mine", "7")).rejects.toThrow(/failed/);

    // Neither the write nor the read got through.
    const down = open({
      transaction: refuse,
      getBulk: () => {
        throw new Error("connection refused");
      },
    });
    await expect(down.state.setIf("k", "mine", "7")).rejects.toThrow(/upsert k on statestore failed/);
  });

  test("deleteIf deletes at the etag; a key that changed or vanished meanwhile is false", async () => {
    const ok = open({});
    expect(await ok.state.deleteIf("k", "5")).toBe(true);
    expect(ok.calls[0]?.args).toEqual([
      "statestore",
      [{ operation: "delete", request: { key: "k", etag: "5", options: FIRST_WRITE } }],
    ]);
    const changed = open({ transaction: refuse, getBulk: () => [{ key: "k", data: "v", etag: "6" }] });
    expect(await changed.state.deleteIf("k", "5")).toBe(false);
    const vanished = open({ transaction: refuse, getBulk: () => [{ key: "k" }] });
    expect(await vanished.state.deleteIf("k", "5")).toBe(false);
  });

  test("a call that never answers fails after the deadline", async () => {
    const client = { state: { getBulk: () => new Promise(() => {}) } } as unknown as DaprClient;
    const state = createDaprState(client, { storeName: "statestore", timeoutMs: 50 });
    await expect(state.get("k")).rejects.toThrow(/took longer than 50 ms/);
  });
});
