/**
 * The `todo` image's launcher: the service name is checked against the service list (the same one
 * the dev scripts start), removed from argv, and everything after it reaches the service's main.
 */
import { expect, test } from "bun:test";
import { SERVICES } from "../../scripts/lib/services.ts";
import { SERVICE_NAMES, selectService, usage } from "./todo.ts";

test("the launcher knows exactly the services the dev scripts run", () => {
  expect<string[]>([...SERVICE_NAMES].sort()).toEqual(SERVICES.map((s) => s.name).sort());
});

test("the service name is removed and what follows it is passed on", () => {
  expect(selectService(["/usr/local/bin/bun", "/app/todo.js", "task", "migrate"])).toEqual({
    service: "task",
    argv: ["/usr/local/bin/bun", "/app/todo.js", "migrate"],
  });
  expect(selectService(["bun", "todo.js", "assistant"])).toEqual({
    service: "assistant",
    argv: ["bun", "todo.js"],
  });
});

test("a missing or unknown service is an error that shows the usage and every service", () => {
  for (const argv of [
    ["bun", "todo.js"],
    ["bun", "todo.js", ""],
    ["bun", "todo.js", "edge"],
    ["bun", "todo.js", "Task"],
  ]) {
    const result = selectService(argv);
    expect("error" in result).toBe(true);
    const message = "error" in result ? result.error : "";
    expect(message).toContain(usage());
    for (const name of SERVICE_NAMES) expect(message).toContain(name);
  }
  const unknown = selectService(["bun", "todo.js", "edge"]);
  expect("error" in unknown && unknown.error).toStartWith('todo: unknown service "edge"');
});
