/**
 * The rooms hold: no service package imports another, nothing reaches into a package's folder by
 * a relative path or imports a file the package does not export (scripts/lib/import-rooms.ts,
 * docs/architecture.md), with no exceptions.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "./lib/components.ts";
import { describeViolation, findImportViolations, isExported, isTestCode } from "./lib/import-rooms.ts";

describe("isExported", () => {
  test("reads plain entries and `./*` patterns", () => {
    expect(isExported(["."], ".")).toBe(true);
    expect(isExported(["."], "./src/x")).toBe(false);
    expect(isExported([".", "./*"], "./outbox")).toBe(true);
    expect(isExported(["./due-move"], "./due-move")).toBe(true);
    expect(isExported(["./*"], "./")).toBe(false);
  });
});

describe("isTestCode", () => {
  test("tests, a package's test folder, the platform's testing helpers, the kit and tooling", () => {
    for (const file of [
      "services/task/src/store.test.ts",
      "tests/e2e/undo.e2e.ts",
      "web/src/components/editor/editor.ct.tsx",
      "services/mcp/test/mcp-client.ts",
      "web/test/helper.ts",
      "services/platform/src/kafka-testing.ts",
      "services/platform/src/testing.ts",
      "services/testkit/src/test-edge.ts",
      "scripts/lib/chart.ts",
      "bench/api.ts",
    ])
      expect([file, isTestCode(file)]).toEqual([file, true]);
    for (const file of [
      "services/task/src/store.ts",
      "services/mcp/src/testing-tools.ts",
      "services/task/src/test/not-a-test-folder.ts",
      "web/src/app.tsx",
      "gen/todo/task/v1/task_pb.ts",
    ])
      expect([file, isTestCode(file)]).toEqual([file, false]);
  });
});

describe("findImportViolations on a made-up repository", () => {
  const root = mkdtempSync(join(tmpdir(), "todo-rooms-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const manifest = (name: string, exports: Record<string, string> = { ".": "./src/index.ts" }) =>
    JSON.stringify({ name, exports });

  test("finds each kind of break, and nothing in allowed imports", async () => {
    write("gen/package.json", manifest("@todo/gen", { "./*": "./*.ts" }));
    write("web/package.json", manifest("@todo/web"));
    write(
      "services/platform/package.json",
      manifest("@todo/platform", { ".": "./src/index.ts", "./*": "./src/*.ts" }),
    );
    write("services/task/package.json", manifest("@todo/task"));
    write("services/tag/package.json", manifest("@todo/tag"));
    write("services/embedded/package.json", manifest("@todo/embedded"));
    write(
      "services/tag/src/a.ts",
      [
        'import { x } from "@todo/gen/todo/task/v1/task_pb";', // allowed: the contract
        'import { y } from "@todo/platform/outbox";', // allowed: an exported platform entry
        'import { z } from "@todo/task";', // a service importing a service
        'import { w } from "../../task/src/store";', // a relative path into another package
        "// import { v } from '@todo/task';", // a comment is no import
        "export const q = [x, y, z, w];",
      ].join("\n"),
    );
    write("services/embedded/src/app.ts", 'import { z } from "@todo/task";\nexport const a = z;');
    write("services/testkit/package.json", manifest("@todo/testkit"));
    write("services/tag/src/b.ts", 'import { kit } from "@todo/testkit";\nexport const d = kit;');
    write("services/tag/src/b.test.ts", 'import { kit } from "@todo/testkit";\nexport const e = kit;');
    write("services/tag/test/helper.ts", 'import { kit } from "@todo/testkit";\nexport const f = kit;'); // a test helper
    write("tests/x.test.ts", 'import { s } from "@todo/task/src/store";\nexport const b = s;');
    write("scripts/ok.ts", 'import { t } from "@todo/task";\nexport const c = t;');
    const found = (await findImportViolations(root)).map(describeViolation);
    expect(found).toEqual([
      "services/tag/src/a.ts: ../../task/src/store (a relative path into services/task; import @todo/task)",
      "services/tag/src/a.ts: @todo/task (a service package may not import a service package)",
      "services/tag/src/b.ts: @todo/testkit (only test code may import the test kit)",
      "tests/x.test.ts: @todo/task/src/store (@todo/task does not export ./src/store)",
    ]);
  });
});

describe("this repository", () => {
  test("keeps its rooms: no import breaks them", async () => {
    const found = (await findImportViolations(repoRoot)).map(describeViolation);
    expect(found).toEqual([]);
  });
});
