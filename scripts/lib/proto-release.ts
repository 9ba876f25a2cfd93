/**
 * The released API contracts: one buf image per release in `proto/releases/vX.Y.Z.binpb`, made by
 * `buf build` from `proto/todo` (imports included, so the image is self-contained; source info
 * left out, so a comment edit never changes it). "The last release" is the highest version there,
 * and `buf breaking` against it is a check of `bun run test` (`bun run proto:breaking`) as well as
 * CI's: a change that would break a client of that release fails, on any clone, shallow or not,
 * with or without git tags. docs/api-versioning.md says how a release is cut
 * (`bun scripts/lib/buf-breaking.ts --cut vX.Y.Z`).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capture } from "./proc.ts";

const root = join(import.meta.dir, "..", "..");
export const buf: string = join(root, "node_modules", ".bin", "buf");
export const releasesDir: string = join(root, "proto", "releases");

const semver = /^v(\d+)\.(\d+)\.(\d+)\.binpb$/;

/** The release images in `dir`, oldest first: `{ version: "v1.0.0", path }`. */
export function releaseImages(dir: string = releasesDir): { version: string; path: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, m: semver.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .sort((a, b) => {
      for (let i = 1; i <= 3; i++) {
        const d = Number(a.m[i]) - Number(b.m[i]);
        if (d !== 0) return d;
      }
      return 0;
    })
    .map((e) => ({ version: e.name.slice(0, -".binpb".length), path: join(dir, e.name) }));
}

/** The newest release image; throws when there is none. */
export function latestRelease(dir: string = releasesDir): { version: string; path: string } {
  const all = releaseImages(dir);
  const last = all.at(-1);
  if (!last) throw new Error(`no release image (vX.Y.Z.binpb) in ${dir}`);
  return last;
}

/**
 * `buf build` of the workspace at `workspace` (its buf.yaml, `proto/todo` only, imports included,
 * no source info) into `out`. Needs `.buf-deps/` there (`bun run gen` makes it).
 */
export async function buildImage(workspace: string, out: string): Promise<void> {
  const result = await capture([buf, "build", "--exclude-source-info", "--path", "proto/todo", "-o", out], {
    cwd: workspace,
  });
  if (result.code !== 0)
    throw new Error(`buf build failed in ${workspace}:\n${result.stdout}${result.stderr}`);
}

/** What `breakingAgainst` found: buf's exit code and its findings, one a line. */
export interface BreakingResult {
  readonly code: number;
  readonly output: string;
}

/**
 * `buf breaking` of the workspace at `workspace` against the image `against`, with the rules of
 * the workspace's buf.yaml (FILE). Both sides are images of `proto/todo`, so the workspace's
 * second module (`.buf-deps`) is no part of the comparison.
 */
export async function breakingAgainst(
  workspace: string,
  against: string,
  errorFormat = "text",
): Promise<BreakingResult> {
  const scratch = mkdtempSync(join(tmpdir(), "todo-breaking-"));
  try {
    const image = join(scratch, "current.binpb");
    await buildImage(workspace, image);
    const result = await capture(
      [buf, "breaking", image, "--against", against, "--config", "buf.yaml", `--error-format=${errorFormat}`],
      { cwd: workspace },
    );
    return { code: result.code, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
