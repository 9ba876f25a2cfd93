/**
 * The GitHub Actions workflows, read by the tools that guard them: actionlint (syntax, expressions,
 * contexts, runner labels, action inputs) and zizmor --offline (security: template injection,
 * unpinned actions, credential persistence, excessive permissions, cache poisoning …), at the
 * versions `ensureKubeTools()` builds and caches. Any finding fails the test and is shown. A broken
 * workflow proves both tools really look; and the house rules docs/delivery.md promises (full-SHA
 * pins with a version comment, no `${{ }}` inside `run:`, least permissions, no persisted checkout
 * credentials) are checked on the files themselves.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureKubeTools, type KubeTools } from "./kube-tools.ts";
import { capture } from "./proc.ts";

const root = join(import.meta.dir, "..", "..");
const workflowDir = join(root, ".github", "workflows");
const workflows = readdirSync(workflowDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => join(workflowDir, name));

let tools: KubeTools;
const scratch = mkdtempSync(join(tmpdir(), "todo-workflows-"));

// A cache hit takes milliseconds; `scripts/test.ts` and `.ci/run` build the tools before the tests.
beforeAll(async () => {
  tools = await ensureKubeTools();
}, 1_200_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * actionlint over `files`. shellcheck and pyflakes are not among the cached tools, so they are
 * switched off explicitly rather than used only where one happens to be installed: the result is
 * the same on every machine.
 */
function actionlint(files: string[], cwd = root) {
  return capture([tools.actionlint, "-no-color", "-shellcheck=", "-pyflakes=", ...files], { cwd });
}

/** zizmor --offline over `paths`, plain output without colours or progress bars. */
function zizmor(paths: string[], cwd = root) {
  return capture([tools.zizmor, "--offline", "--no-progress", "--color=never", ...paths], {
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
  });
}

describe("every workflow", () => {
  test("the workflows are there", () => {
    expect(workflows.map((f) => f.slice(workflowDir.length + 1))).toEqual(
      expect.arrayContaining(["cd.yml", "ci.yml"]),
    );
  });

  test("actionlint reports nothing", async () => {
    const run = await actionlint(workflows);
    expect(`${run.stdout}${run.stderr}`).toBe("");
    expect(run.code).toBe(0);
  });

  test("zizmor --offline reports nothing", async () => {
    const run = await zizmor(workflows);
    const findings = run.stdout.trim();
    expect(run.code, `zizmor exit ${run.code}:\n${findings}\n${run.stderr}`).toBe(0);
    expect(findings).toBe("No findings to report. Good job!");
  });

  test("house rules: SHA pins with versions, top-level permissions, no expressions in run:, no persisted credentials", () => {
    const problems: string[] = [];
    let actionRefs = 0;
    let runScripts = 0;
    for (const file of workflows) {
      const name = file.slice(workflowDir.length + 1);
      const text = readFileSync(file, "utf8");
      const doc = Bun.YAML.parse(text) as {
        permissions?: unknown;
        jobs: Record<string, { steps?: Array<Record<string, unknown>> }>;
      };
      if (doc.permissions === undefined) problems.push(`${name}: no top-level permissions`);
      for (const match of text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)) {
        const [, ref = "", rest = ""] = match;
        if (ref.startsWith("./")) continue;
        actionRefs++;
        if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref))
          problems.push(`${name}: ${ref} is not pinned to a commit`);
        else if (!/^\s+#\s*v\d+(\.\d+){0,2}\s*$/.test(rest))
          problems.push(`${name}: ${ref} has no "# vX.Y.Z" comment`);
      }
      for (const [jobName, job] of Object.entries(doc.jobs)) {
        for (const step of job.steps ?? []) {
          const label = `${name}: ${jobName}: ${String(step.name ?? step.uses ?? step.run)}`;
          if (typeof step.run === "string") runScripts++;
          if (typeof step.run === "string" && step.run.includes("${{"))
            problems.push(`${label}: \${{ }} inside run: (pass it through env:)`);
          const uses = typeof step.uses === "string" ? step.uses : "";
          const withs = (step.with ?? {}) as Record<string, unknown>;
          if (uses.startsWith("actions/checkout@") && withs["persist-credentials"] !== false)
            problems.push(`${label}: checkout without persist-credentials: false`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(actionRefs).toBeGreaterThan(10);
    expect(runScripts).toBeGreaterThan(10);
  });
});

describe("cd.yml publishes the SDKs on a version tag", () => {
  type Job = {
    if?: string;
    needs?: string | string[];
    permissions?: Record<string, string>;
    environment?: { name: string };
    steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }>;
  };
  const cd = Bun.YAML.parse(readFileSync(join(workflowDir, "cd.yml"), "utf8")) as {
    jobs: Record<string, Job>;
  };
  const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
  const onTag = `\${{ github.ref_type == 'tag' }}`;

  test("npm: trusted publishing with provenance, after the SDK's build, holding only an OIDC token", () => {
    const job = cd.jobs["sdk-npm"];
    expect(job?.if).toBe(onTag);
    expect(job?.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(job?.environment?.name).toBe("npm");
    const script = runs(job as Job);
    expect(script).toMatch(/npm publish --provenance --access public/);
    expect(script.indexOf("bun run build")).toBeGreaterThan(-1);
    expect(script.indexOf("bun run build")).toBeLessThan(script.indexOf("npm publish"));
  });

  test("Go: the nested module's tag sdk/go/vX.Y.Z, pushed after the module builds", () => {
    const job = cd.jobs["sdk-go"];
    expect(job?.if).toBe(onTag);
    expect(job?.permissions).toEqual({ contents: "write" });
    const script = runs(job as Job);
    expect(script).toContain(`go_tag="sdk/go/\${TAG}"`);
    expect(script.indexOf("go -C sdk/go build")).toBeLessThan(script.indexOf("git push"));
  });

  test("PyPI: built without OIDC, published by PyPA's action with only an OIDC token", () => {
    const build = cd.jobs["sdk-pypi-build"];
    const publish = cd.jobs["sdk-pypi"];
    expect(build?.if).toBe(onTag);
    expect(build?.permissions).toEqual({ contents: "read" });
    expect(publish?.needs).toBe("sdk-pypi-build");
    expect(publish?.permissions).toEqual({ "id-token": "write" });
    expect(publish?.environment?.name).toBe("pypi");
    const uses = (publish as Job).steps.map((s) => s.uses?.split("@")[0]);
    expect(uses).toEqual(["actions/download-artifact", "pypa/gh-action-pypi-publish"]);
    expect(JSON.stringify(publish)).not.toMatch(/password|token:/i);
  });
});

describe("the linters are really looking", () => {
  test("a workflow with an injection, an unpinned action and a typo fails both", async () => {
    const dir = join(scratch, ".github", "workflows");
    mkdirSync(dir, { recursive: true });
    const bad = join(dir, "bad.yml");
    writeFileSync(
      bad,
      [
        "on: pull_request",
        "jobs:",
        "  build:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        "      - uses: actions/checkout@v4",
        `      - run: echo \${{ github.event.pull_request.title }}`,
        `      - run: echo \${{ github.evnt.ref }}`,
        "",
      ].join("\n"),
    );
    const lint = await actionlint([bad], scratch);
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain('"github.event.pull_request.title" is potentially untrusted');
    expect(lint.stdout).toContain('property "evnt" is not defined');

    const zz = await zizmor([bad], scratch);
    expect(zz.code).not.toBe(0);
    expect(zz.stdout).toContain("template-injection");
    expect(zz.stdout).toContain("unpinned-uses");
    expect(zz.stdout).toContain("artipacked");
    expect(zz.stdout).toContain("excessive-permissions");
  });
});
