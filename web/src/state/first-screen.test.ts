import { describe, expect, it, spyOn } from "bun:test";
import { createFirstScreen } from "./first-screen";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("createFirstScreen", () => {
  it("holds work back until the first screen is shown, then runs it in order, after a tick", async () => {
    const gate = createFirstScreen(10_000);
    const ran: string[] = [];
    gate.after(() => ran.push("tags"));
    gate.after(() => ran.push("bell"));
    await sleep(20);
    expect(ran).toEqual([]);
    expect(gate.isShown()).toBe(false);
    gate.shown();
    // Not synchronously: the frame that shows the list comes first.
    expect(ran).toEqual([]);
    await sleep(20);
    expect(ran).toEqual(["tags", "bell"]);
    expect(gate.isShown()).toBe(true);
    gate.after(() => ran.push("later"));
    expect(ran).toEqual(["tags", "bell"]);
    await sleep(5);
    expect(ran).toEqual(["tags", "bell", "later"]);
  });

  it("lets everything go after maxWait when nothing says the screen is shown", async () => {
    const gate = createFirstScreen(30);
    let ran = false;
    gate.after(() => {
      ran = true;
    });
    await sleep(10);
    expect(ran).toBe(false);
    await sleep(60);
    expect(ran).toBe(true);
  });

  it("runs the rest when one start-up task throws", async () => {
    const gate = createFirstScreen(10_000);
    const ran: string[] = [];
    const logged = spyOn(console, "error").mockImplementation(() => {});
    try {
      gate.after(() => {
        throw new Error("boom");
      });
      gate.after(() => ran.push("second"));
      gate.shown();
      await sleep(20);
      expect(logged).toHaveBeenCalledTimes(1);
    } finally {
      logged.mockRestore();
    }
    expect(ran).toEqual(["second"]);
  });
});
