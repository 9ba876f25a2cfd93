/**
 * `buf breaking` against the last release (proto-release.ts): on a scratch copy of the workspace
 * (proto/, buf.yaml, .buf-deps/), the unchanged contract and an additive change pass, and each
 * kind of breaking edit — a removed field, a renamed RPC, a renumbered field, a field whose type
 * changed — fails against the committed release image.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { breakingAgainst, latestRelease, releaseImages } from "./proto-release.ts";

const root = join(import.meta.dir, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "todo-proto-release-"));
const taskService = "proto/todo/task/v1/task_service.proto";
const task = "proto/todo/task/v1/task.proto";

/** A fresh copy of the workspace with `edit` applied to `file` (a string replacement that must match). */
function workspace(name: string, file?: string, from?: string, to?: string): string {
  const dir = join(scratch, name);
  for (const entry of ["proto", "buf.yaml", ".buf-deps"])
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  if (file && from !== undefined && to !== undefined) {
    const path = join(dir, file);
    const text = readFileSync(path, "utf8");
    if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}: update this test`);
    writeFileSync(path, text.replace(from, to));
  }
  return dir;
}

beforeAll(() => {
  if (!existsSync(join(root, ".buf-deps")))
    throw new Error(".buf-deps/ is missing: run `bun run gen` (bun run test runs gen:check first)");
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the last release", () => {
  test("is the newest vX.Y.Z.binpb in proto/releases, compared as numbers", () => {
    expect(latestRelease().version).toBe("v1.0.0");
    const dir = join(scratch, "versions");
    mkdirSync(dir, { recursive: true });
    for (const name of ["v1.9.0.binpb", "v1.10.0.binpb", "v1.2.3.binpb", "notes.txt", "v2.binpb"])
      writeFileSync(join(dir, name), "");
    expect(releaseImages(dir).map((r) => r.version)).toEqual(["v1.2.3", "v1.9.0", "v1.10.0"]);
    expect(latestRelease(dir).version).toBe("v1.10.0");
  });
});

describe("buf breaking against the last release", () => {
  const against = latestRelease().path;

  test("the contract as committed passes", async () => {
    const result = await breakingAgainst(workspace("unchanged"), against);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  }, 60_000);

  test("an added field passes", async () => {
    const dir = workspace(
      "added",
      taskService,
      "  string series_id = 3 [(google.api.field_behavior) = OPTIONAL];\n}",
      "  string series_id = 3 [(google.api.field_behavior) = OPTIONAL];\n  // A new optional field.\n  string note = 4;\n}",
    );
    const result = await breakingAgainst(dir, against);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  }, 60_000);

  const breaking: ReadonlyArray<readonly [string, string, string, string, RegExp]> = [
    [
      "a removed field",
      taskService,
      "  string request_id = 2 [(google.api.field_behavior) = OPTIONAL];\n",
      "",
      /Previously present field "2" with name "request_id" on message "CreateTaskRequest" was deleted/,
    ],
    [
      "a renamed RPC",
      taskService,
      "rpc CreateTask(CreateTaskRequest)",
      "rpc AddTask(CreateTaskRequest)",
      /Previously present RPC "CreateTask" on service "TaskService" was deleted/,
    ],
    ["a renumbered field", task, "string title = 2 [", "string title = 20 [", /field "2" with name "title"/],
    [
      "a renamed field (its JSON name changes)",
      task,
      "string title = 2 [",
      "string name = 2 [",
      /name "title" to "name"|json_name/,
    ],
  ];
  for (const [what, file, from, to, finding] of breaking) {
    test(`${what} fails`, async () => {
      const dir = workspace(what.replaceAll(/\W+/g, "-"), file, from, to);
      const result = await breakingAgainst(dir, against);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(finding);
    }, 60_000);
  }
});
