/**
 * The proof that `@todo/sdk` works for a team outside this repository: build it, `npm pack` it,
 * install the tarball with npm into a scratch project in the system's temp directory (no workspace
 * link can reach it there; its dependencies come from the npm registry), type-check a program
 * against the published .d.ts under `module: nodenext`, and run it with Node and with Bun against
 * a running `bun start` (tests/e2e/lib/server.ts: free ports, a throw-away data directory): sign
 * up, create a recurring task, list with a filter, watch a change arrive, and read an
 * INVALID_ARGUMENT's field violations. The scratch project is made once per run and shared by the
 * tests.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { removeDir, repoRoot, tempDir } from "@todo/testkit";
import { startTodoServer, type TodoServer } from "../../../tests/e2e/lib/server.ts";
import { NODE_ESM_COMPILER_OPTIONS } from "../scripts/node-esm";

const pkgDir = resolve(import.meta.dir, "..");
const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const scratch = tempDir("todo-sdk-consumer");
let tarball = "";
let server: TodoServer | undefined;

/** The server `beforeAll` started (`bun start`, on its embedded database). */
function running(): TodoServer {
  if (!server) throw new Error("the server did not start (see beforeAll)");
  return server;
}

/** Runs a command to its end; throws with its output when it fails. */
async function sh(cmd: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 120_000) {
  const child = Bun.spawn(cmd, {
    cwd,
    env: { ...process.env, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd.join(" ")} (in ${cwd}) exited ${code}:\n${out}\n${err}`);
  return out;
}

beforeAll(async () => {
  await sh([process.execPath, "scripts/build.ts"], pkgDir);
  const packed = JSON.parse(
    await sh(["npm", "pack", "--ignore-scripts", "--json", "--pack-destination", scratch], pkgDir),
  ) as { filename: string }[];
  tarball = join(scratch, (packed[0] as { filename: string }).filename);
  writeFileSync(
    join(scratch, "package.json"),
    JSON.stringify({ name: "sdk-consumer", private: true, type: "module" }, null, 2),
  );
  writeFileSync(
    join(scratch, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { ...NODE_ESM_COMPILER_OPTIONS, outDir: "out" },
      files: ["program.ts"],
    }),
  );
  copyFileSync(join(import.meta.dir, "consumer", "program.ts"), join(scratch, "program.ts"));
  await sh(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", tarball], scratch, {}, 300_000);
  server = await startTodoServer();
}, 420_000);

afterAll(async () => {
  await server?.stop();
  removeDir(scratch);
});

/** The lines the program must print, whatever the runtime and transport. */
function expectFlow(output: string): void {
  expect(output.trim().split("\n")).toEqual([
    "signed up: true",
    "watching: live",
    "created: Water the plants | FREQ=WEEKLY;BYDAY=MO | series set",
    'listed: ["Water the plants"]',
    "watched: COMPLETED Water the plants (CREATED seen: true)",
    'invalid: InvalidArgument ["task.title is required and must not be blank"]',
    "done",
  ]);
}

describe("@todo/sdk from its npm tarball", () => {
  test("the tarball holds built JavaScript, declarations, the README and the licence — no TypeScript sources", async () => {
    const files = (await sh(["tar", "-tzf", tarball], scratch)).trim().split("\n");
    expect(files).toContain("package/dist/index.js");
    expect(files).toContain("package/dist/index.browser.js");
    expect(files).toContain("package/dist/index.d.ts");
    expect(files).toContain("package/dist/gen/todo/task/v1/task_service_pb.js");
    expect(files).toContain("package/README.md");
    expect(files).toContain("package/LICENSE");
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => !f.startsWith("package/dist/")).sort()).toEqual([
      "package/LICENSE",
      "package/README.md",
      "package/package.json",
    ]);
    const manifest = JSON.parse(
      readFileSync(join(scratch, "node_modules", "@todo", "sdk", "package.json"), "utf8"),
    );
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      "@bufbuild/protobuf",
      "@connectrpc/connect",
      "@connectrpc/connect-node",
      "@connectrpc/connect-web",
    ]);
  });

  test("a program type-checks against the published .d.ts under module: nodenext", async () => {
    await sh(["node", tsc, "-p", scratch], scratch);
    expect(readFileSync(join(scratch, "out", "program.js"), "utf8")).toContain('from "@todo/sdk"');
  });

  test("Node 20+ runs the program over Connect (the node build, @connectrpc/connect-node)", async () => {
    const version = (await sh(["node", "--version"], scratch)).trim();
    expect(Number(version.slice(1).split(".")[0])).toBeGreaterThanOrEqual(20);
    const out = await sh(["node", "out/program.js"], scratch, {
      TODO_BASE_URL: running().url,
      TODO_TRANSPORT: "connect",
      TODO_RUN: "node",
    });
    expectFlow(out);
  }, 60_000);

  test("Bun runs the program's TypeScript over gRPC (the bun build, HTTP/2 port)", async () => {
    const out = await sh([process.execPath, "program.ts"], scratch, {
      TODO_BASE_URL: running().grpcUrl,
      TODO_TRANSPORT: "grpc",
      TODO_RUN: "bun",
    });
    expectFlow(out);
  }, 60_000);

  test("the browser build (fetch, @connectrpc/connect-web) runs the program over gRPC-web", async () => {
    const out = await sh(["node", "--conditions=browser", "out/program.js"], scratch, {
      TODO_BASE_URL: running().url,
      TODO_TRANSPORT: "grpc-web",
      TODO_RUN: "browser",
    });
    expectFlow(out);
  }, 60_000);

  test("the exports map gives Node and Bun the connect-node build and the browser condition the fetch one", async () => {
    // Only the fetch build refuses gRPC, so the answer says which build each runtime loaded.
    const probe =
      "import('@todo/sdk').then((m) => { try { m.createTodoClient({ baseUrl: 'http://127.0.0.1:1', transport: 'grpc' }); console.log('node build'); } catch (e) { console.log(e.message); } })";
    expect((await sh(["node", "--input-type=module", "-e", probe], scratch)).trim()).toBe("node build");
    expect((await sh([process.execPath, "-e", probe], scratch)).trim()).toBe("node build");
    expect(await sh(["node", "--conditions=browser", "--input-type=module", "-e", probe], scratch)).toContain(
      "browsers cannot speak gRPC",
    );
  });

  test("a browser bundle of the package imports no Node module", async () => {
    writeFileSync(join(scratch, "browser-entry.js"), 'export { createTodoClient } from "@todo/sdk";\n');
    await sh(
      [process.execPath, "build", "--target=browser", "--outfile=out/browser.js", "browser-entry.js"],
      scratch,
    );
    const bundle = readFileSync(join(scratch, "out", "browser.js"), "utf8");
    expect(bundle).toContain("createGrpcWebTransport");
    expect(bundle).not.toContain("http2");
    expect(bundle).not.toContain("connect-node");
  });
});
