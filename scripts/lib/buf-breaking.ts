/**
 * `buf breaking`, three ways:
 *
 *   bun scripts/lib/buf-breaking.ts --release       against the last release's image in
 *                                                   proto/releases/ (`bun run proto:breaking`, a
 *                                                   check of `bun run test`; proto-release.ts)
 *   bun scripts/lib/buf-breaking.ts --cut vX.Y.Z    write proto/releases/vX.Y.Z.binpb, the image of
 *                                                   the API as it is now (cutting a release,
 *                                                   docs/api-versioning.md)
 *   bun scripts/lib/buf-breaking.ts <git-ref>       against an earlier commit (CI on GitHub)
 *
 *
 * Why not plain `buf breaking --against '.git#branch=main'`: our buf workspace has a second
 * module, `.buf-deps/` (third-party protos copied out of npm packages by `bun run gen`), which is
 * git-ignored, so buf's own checkout of the old commit has no such directory and fails to build.
 * This script extracts the old commit's tree into a temporary directory, gives it this checkout's
 * `.buf-deps/`, and runs `buf breaking --against <that directory>` (FILE rules, `.buf-deps`
 * ignored, as configured in buf.yaml). Exits 0 with a note when the old commit has no buf
 * workspace yet. Needs `.buf-deps/` (any of `bun run gen`, `gen:check` or `lint` creates it).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $ } from "bun";
import { breakingAgainst, buildImage, latestRelease, releaseImages, releasesDir } from "./proto-release.ts";

const root = join(import.meta.dir, "..", "..");
const buf = join(root, "node_modules", ".bin", "buf");

const errorFormat = process.env.GITHUB_ACTIONS === "true" ? "github-actions" : "text";

function needDeps(): boolean {
  if (existsSync(join(root, ".buf-deps"))) return true;
  console.error("buf breaking: .buf-deps/ is missing; run `bun run gen` (or gen:check) first");
  return false;
}

async function againstRelease(): Promise<number> {
  if (!needDeps()) return 1;
  const release = latestRelease();
  console.log(
    `buf breaking against the last release, ${release.version} (${release.path.slice(root.length + 1)})`,
  );
  const result = await breakingAgainst(root, release.path, errorFormat);
  if (result.output) console.log(result.output);
  if (result.code === 0) console.log("no breaking changes");
  else
    console.error(
      `breaking changes against ${release.version}: make the change additive, or see docs/api-versioning.md`,
    );
  return result.code;
}

async function cut(version: string | undefined): Promise<number> {
  if (!version || !/^v\d+\.\d+\.\d+$/.test(version)) {
    console.error("usage: bun scripts/lib/buf-breaking.ts --cut vMAJOR.MINOR.PATCH");
    return 2;
  }
  if (!needDeps()) return 1;
  const out = join(releasesDir, `${version}.binpb`);
  if (existsSync(out)) {
    console.error(`${out} exists already: a release image is never rewritten`);
    return 1;
  }
  const previous = releaseImages().at(-1);
  if (previous) {
    const result = await breakingAgainst(root, previous.path);
    if (
      result.code !== 0 &&
      !version.startsWith(`v${Number(previous.version.slice(1).split(".")[0]) + 1}.`)
    ) {
      console.error(
        `${result.output}\nbreaking changes against ${previous.version}: only a new major version may break`,
      );
      return 1;
    }
  }
  mkdirSync(releasesDir, { recursive: true });
  await buildImage(root, out);
  console.log(`wrote ${out.slice(root.length + 1)}`);
  return 0;
}

async function main(ref: string | undefined): Promise<number> {
  if (ref === "--release") return await againstRelease();
  if (ref === "--cut") return await cut(Bun.argv[3]);
  if (!ref) {
    console.error(
      "usage: bun scripts/lib/buf-breaking.ts --release | --cut vX.Y.Z | <git-ref>   (e.g. origin/main, HEAD~1)",
    );
    return 2;
  }
  const resolved = await $`git rev-parse --verify --quiet ${`${ref}^{commit}`}`.cwd(root).nothrow().quiet();
  if (resolved.exitCode !== 0) {
    console.error(`buf breaking: ${ref} is not a commit in this clone (fetch it first)`);
    return 1;
  }
  const commit = resolved.stdout.toString().trim();
  if (!needDeps()) return 1;
  const base = mkdtempSync(join(tmpdir(), "todo-buf-base-"));
  try {
    await $`git archive --format=tar ${commit} | tar -x -C ${base}`.cwd(root).quiet();
    if (!existsSync(join(base, "buf.yaml"))) {
      console.log(`buf breaking: ${ref} (${commit.slice(0, 12)}) has no buf.yaml; nothing to compare`);
      return 0;
    }
    cpSync(join(root, ".buf-deps"), join(base, ".buf-deps"), { recursive: true });
    console.log(`buf breaking against ${ref} (${commit.slice(0, 12)})`);
    const result = await $`${buf} breaking --error-format=${errorFormat} --against ${base}`
      .cwd(root)
      .nothrow();
    if (result.exitCode === 0) console.log("no breaking changes");
    return result.exitCode;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

process.exitCode = await main(Bun.argv[2]);
