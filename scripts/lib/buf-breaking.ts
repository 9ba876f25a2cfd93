/**
 * `buf breaking` against an earlier commit: `bun scripts/lib/buf-breaking.ts <git-ref>`.
 *
 * Why not plain `buf breaking --against '.git#branch=main'`: our buf workspace has a second
 * module, `.buf-deps/` (third-party protos copied out of npm packages by `bun run gen`), which is
 * git-ignored, so buf's own checkout of the old commit has no such directory and fails to build.
 * This script extracts the old commit's tree into a temporary directory, gives it this checkout's
 * `.buf-deps/`, and runs `buf breaking --against <that directory>` (FILE rules, `.buf-deps`
 * ignored, as configured in buf.yaml). Exits 0 with a note when the old commit has no buf
 * workspace yet. Needs `.buf-deps/` (any of `bun run gen`, `gen:check` or `lint` creates it).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $ } from "bun";

const root = join(import.meta.dir, "..", "..");
const buf = join(root, "node_modules", ".bin", "buf");

async function main(ref: string | undefined): Promise<number> {
  if (!ref) {
    console.error("usage: bun scripts/lib/buf-breaking.ts <git-ref>   (e.g. origin/main, HEAD~1)");
    return 2;
  }
  const resolved = await $`git rev-parse --verify --quiet ${`${ref}^{commit}`}`.cwd(root).nothrow().quiet();
  if (resolved.exitCode !== 0) {
    console.error(`buf breaking: ${ref} is not a commit in this clone (fetch it first)`);
    return 1;
  }
  const commit = resolved.stdout.toString().trim();
  if (!existsSync(join(root, ".buf-deps"))) {
    console.error("buf breaking: .buf-deps/ is missing; run `bun run gen` (or gen:check) first");
    return 1;
  }
  const base = mkdtempSync(join(tmpdir(), "todo-buf-base-"));
  try {
    await $`git archive --format=tar ${commit} | tar -x -C ${base}`.cwd(root).quiet();
    if (!existsSync(join(base, "buf.yaml"))) {
      console.log(`buf breaking: ${ref} (${commit.slice(0, 12)}) has no buf.yaml; nothing to compare`);
      return 0;
    }
    cpSync(join(root, ".buf-deps"), join(base, ".buf-deps"), { recursive: true });
    const format = process.env.GITHUB_ACTIONS === "true" ? "github-actions" : "text";
    console.log(`buf breaking against ${ref} (${commit.slice(0, 12)})`);
    const result = await $`${buf} breaking --error-format=${format} --against ${base}`.cwd(root).nothrow();
    if (result.exitCode === 0) console.log("no breaking changes");
    return result.exitCode;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

process.exitCode = await main(Bun.argv[2]);
