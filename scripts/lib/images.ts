/**
 * Builds Todo's two OCI images (deploy/images, docs/images.md) for linux/amd64 and linux/arm64 with
 * buildah, from the Debian base of images-base.ts and the Bun of images-bun.ts:
 *
 * - `todo`: the six services, bundled with `bun build --splitting` (shared chunks; the SQL
 *   migrations are inside the bundle) and the launcher `deploy/images/todo.ts` as `/app/todo.js`;
 * - `todo-edge`: the edge as `/app/edge.js` and the web app built by Vite in `/app/web/dist`.
 *
 * Each image ends up as an OCI layout in `${TODO_CACHE_DIR:-~/.cache/todo}/images/<name>-<key>/`
 * with one reference per architecture (`amd64`, `arm64`) and `index`, the multi-arch image index
 * (`skopeo copy --all oci:<dir>/layout:index docker://…` pushes it). `<key>` hashes every input —
 * the source files, the recipe, the bases' digests, Bun's integrity and the label values — so a
 * re-run with nothing changed finds the layout and does nothing. buildah and podman keep their
 * storage under the same cache (root, as CI runs; see {@link containersStorage}).
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { SERVICE_NAMES } from "../../deploy/images/todo.ts";
import { type BaseImage, ensureBase } from "./images-base.ts";
import { type Arch, BUN_PACKAGES, BUN_VERSION, ensureBun, imagesCacheDir } from "./images-bun.ts";
import { imageSize, layoutRef } from "./oci-layout.ts";
import { capture } from "./proc.ts";

type Env = Readonly<Record<string, string | undefined>>;
type Log = (message: string) => void;

const root = join(import.meta.dir, "..", "..");
const imagesDir = join(root, "deploy", "images");

/** The images. */
export type ImageName = "todo" | "todo-edge";
export const IMAGE_NAMES: readonly ImageName[] = ["todo", "todo-edge"];

/** The services bundled into `todo`: the launcher's list. */
const SERVICE_MAINS = SERVICE_NAMES.map((name) => `services/${name}/src/main.ts`);

/** The embedded mode's database, which no service process loads: left out of the bundles. */
const EXTERNALS = ["@electric-sql/pglite", "@electric-sql/pglite/*", "@electric-sql/pglite-socket"];

/** What gets hashed into the key besides the files: the recipe's own sources. */
const RECIPE = ["scripts/lib/images.ts", "scripts/lib/images-base.ts", "scripts/lib/images-bun.ts"];

/** Where buildah, podman and skopeo keep images here. */
export interface StorageConfig {
  readonly driver: string;
  readonly root: string;
  readonly runroot: string;
}

/**
 * The containers storage of every buildah, podman and skopeo call here: a root and a run root under
 * the cache (nothing in /etc is changed), and the driver — `TODO_IMAGES_STORAGE_DRIVER`, else
 * `overlay` when the kernel has it and the cache is not itself on overlayfs (inside a container),
 * else `vfs` (slow and large, but it works anywhere).
 */
export function storageConfig(env: Env = process.env): StorageConfig {
  const dir = imagesCacheDir(env);
  const root = join(dir, "storage");
  mkdirSync(root, { recursive: true });
  let driver = env.TODO_IMAGES_STORAGE_DRIVER;
  if (!driver) {
    const kernel = readFileSync("/proc/filesystems", "utf8");
    const fsType = Bun.spawnSync(["stat", "-f", "-c", "%T", root]).stdout.toString().trim();
    driver = /\toverlay$/m.test(kernel) && fsType !== "overlayfs" ? "overlay" : "vfs";
  }
  return { driver, root, runroot: join(dir, "run") };
}

/** {@link storageConfig} as buildah's and podman's global options. */
export function containersStorage(env: Env = process.env): string[] {
  const { driver, root, runroot } = storageConfig(env);
  return ["--root", root, "--runroot", runroot, "--storage-driver", driver];
}

/** A `containers-storage:` reference to `name` in {@link storageConfig} (skopeo's form). */
export function storageRef(name: string, env: Env = process.env): string {
  const { driver, root, runroot } = storageConfig(env);
  return `containers-storage:[${driver}@${root}+${runroot}]${name}`;
}

/**
 * Puts `base` into the containers storage under its name, and returns the reference `FROM` gets:
 * the name pinned by the manifest digest. (buildah cannot take an `oci:` path as `FROM` when the
 * path has a dot in it, as `~/.cache` has: it makes an image name of the path.)
 */
async function loadBase(base: BaseImage, env: Env): Promise<string> {
  await must(["skopeo", "copy", "--quiet", base.ref, storageRef(base.name, env)], "skopeo copy of the base");
  return `${base.name.replace(/:[^:/]+$/, "")}@${base.digest}`;
}

/** The label values that are not fixed in the Containerfiles. */
export interface ImageLabels {
  /** `TODO_IMAGE_VERSION`, else `git describe --tags --always --dirty`. */
  readonly version: string;
  /** The commit (`git rev-parse HEAD`). */
  readonly revision: string;
  /** `SOURCE_DATE_EPOCH`, else the commit's time, in seconds: also every file's time in the layers. */
  readonly epoch: number;
  /** `TODO_IMAGE_SOURCE`, else the repository the chart's default image paths name. */
  readonly source: string;
  /** `TODO_IMAGE_LICENSES`, else root package.json's `license`, else `NOASSERTION` (SPDX). */
  readonly licenses: string;
}

async function git(args: string[]): Promise<string> {
  const result = await capture(["git", ...args], { cwd: root });
  if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Reads the label values from the environment and git. */
export async function imageLabels(env: Env = process.env): Promise<ImageLabels> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { license?: string };
  return {
    version: env.TODO_IMAGE_VERSION ?? (await git(["describe", "--tags", "--always", "--dirty"])),
    revision: await git(["rev-parse", "HEAD"]),
    epoch: Number(env.SOURCE_DATE_EPOCH ?? (await git(["log", "-1", "--format=%ct"]))),
    source: env.TODO_IMAGE_SOURCE ?? "https://github.com/todo-app/todo",
    licenses: env.TODO_IMAGE_LICENSES ?? pkg.license ?? "NOASSERTION",
  };
}

/**
 * Hashes what the images are made of: every file git knows (tracked, or untracked and not ignored)
 * under the source folders — tests excluded — and the recipe, plus `extra` (bases, Bun, labels).
 */
export async function inputsKey(extra: unknown): Promise<string> {
  const listed = await git([
    "ls-files",
    "--cached",
    "--others",
    "--exclude-standard",
    "-z",
    "--",
    "services",
    "gen",
    "web",
    "deploy/images",
    "package.json",
    "bun.lock",
    "tsconfig.json",
    "bunfig.toml",
    ...RECIPE,
  ]);
  const hash = createHash("sha256").update(JSON.stringify(extra));
  const files = listed.split("\0").filter((f) => f && !/\.test\.tsx?$/.test(f) && existsSync(join(root, f)));
  for (const file of [...new Set(files)].sort()) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/** Runs `cmd`, quietly; a failure throws with the end of its output. */
async function must(cmd: readonly string[], what: string, cwd = root): Promise<void> {
  const result = await capture(cmd, { cwd });
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}`.trimEnd().split("\n").slice(-40).join("\n");
    throw new Error(`${what} failed (exit ${result.code}): ${cmd.join(" ")}\n${output}`);
  }
}

/** The programs a build runs, and the Debian packages that bring them. */
const TOOLS: Readonly<Record<string, string>> = {
  buildah: "buildah",
  skopeo: "skopeo",
  umoci: "umoci",
  mmdebstrap: "mmdebstrap",
  "dpkg-deb": "dpkg",
  tar: "tar",
  npm: "npm",
  git: "git",
};

/** Throws, naming what to install, when a program the build needs is missing. */
export function requireTools(tools: Readonly<Record<string, string>> = TOOLS): void {
  const missing = Object.keys(tools).filter((tool) => !Bun.which(tool));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => tools[tool]))].join(" ");
    throw new Error(`images: ${missing.join(", ")} not found; install them: apt-get install -y ${packages}`);
  }
  if (process.getuid?.() !== 0)
    throw new Error("images: building the images needs root (mmdebstrap, buildah)");
}

const bunBuild = ["bun", "build", "--target=bun", "--minify", ...EXTERNALS.flatMap((e) => ["--external", e])];

/** Writes `/app` of `name` into `app` (a fresh directory): production bundles only, no sources. */
async function stageApp(name: ImageName, app: string): Promise<void> {
  if (name === "todo") {
    await must(
      [
        ...bunBuild,
        "--splitting",
        "--root",
        ".",
        "--outdir",
        app,
        "--chunk-naming",
        "chunks/[name]-[hash].[ext]",
        ...SERVICE_MAINS,
      ],
      "bundling the services",
    );
    await must([...bunBuild, "--outdir", app, "deploy/images/todo.ts"], "bundling the launcher");
    return;
  }
  await must(
    [...bunBuild, "--outdir", app, "--entry-naming", "edge.[ext]", "services/edge/src/main.ts"],
    "bundling the edge",
  );
  const dist = join(app, "web", "dist");
  await must(
    ["bun", "x", "vite", "build", "--logLevel", "warn", "--outDir", dist, "--emptyOutDir"],
    "vite build",
    join(root, "web"),
  );
  // Source maps stay out of the image (production code only).
  for (const file of readdirSync(dist, { recursive: true }) as string[]) {
    if (file.endsWith(".map")) rmSync(join(dist, file));
  }
}

/** One architecture of a built image, read back from its OCI layout. */
export interface BuiltArch {
  /** The manifest digest. */
  readonly digest: string;
  /** The sum of the layers as pushed (gzip). */
  readonly compressedBytes: number;
  /** The sum of the layers unpacked (tar), what `podman images` shows. */
  readonly uncompressedBytes: number;
  readonly base: string;
}

/** A built image: its OCI layout and what it holds. */
export interface BuiltImage {
  readonly name: ImageName;
  readonly key: string;
  /** The OCI layout directory: references `index`, `amd64`, `arm64`. */
  readonly layout: string;
  readonly version: string;
  readonly revision: string;
  readonly created: string;
  /** The image index (manifest list) digest. */
  readonly index: string;
  readonly arches: Readonly<Partial<Record<Arch, BuiltArch>>>;
}

function describeArch(layout: string, arch: Arch, base: BaseImage): BuiltArch {
  const size = imageSize(layout, arch);
  return {
    digest: size.digest,
    compressedBytes: size.compressed,
    uncompressedBytes: size.uncompressed,
    base: base.digest,
  };
}

/** How many builds of each image the cache keeps (the newest; other checkouts may share it). */
const KEEP_BUILDS = 3;

function pruneOldBuilds(name: ImageName, env: Env): void {
  const dir = imagesCacheDir(env);
  const builds = readdirSync(dir)
    .filter((entry) => new RegExp(`^${name}-[0-9a-f]{16}$`).test(entry))
    .map((entry) => ({ path: join(dir, entry), time: statSync(join(dir, entry)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const old of builds.slice(KEEP_BUILDS)) rmSync(old.path, { recursive: true, force: true });
}

/**
 * Returns image `name` for `arches`, building it when the cache lacks it for the current inputs:
 * stage the context (Bun hard-linked from its cache, the bundles), `buildah build` per
 * architecture, `buildah manifest` for the index, push all into a fresh OCI layout, rename it into
 * place, and drop the images from the containers storage again.
 */
export async function ensureImage(
  name: ImageName,
  arches: readonly Arch[],
  log: Log,
  env: Env = process.env,
): Promise<BuiltImage> {
  requireTools();
  const bases = new Map<Arch, BaseImage>();
  const buns = new Map<Arch, string>();
  for (const arch of arches) {
    bases.set(arch, await ensureBase(arch, log, env));
    buns.set(arch, await ensureBun(arch, log, env));
  }
  const labels = await imageLabels(env);
  const key = await inputsKey({
    name,
    arches,
    bases: arches.map((a) => bases.get(a)?.digest),
    bun: [BUN_VERSION, ...arches.map((a) => BUN_PACKAGES[a].integrity)],
    labels,
  });
  const dir = join(imagesCacheDir(env), `${name}-${key}`);
  const infoFile = join(dir, "image.json");
  if (existsSync(infoFile)) return JSON.parse(readFileSync(infoFile, "utf8")) as BuiltImage;

  const started = performance.now();
  log(`images: building ${name} for ${arches.join(", ")} (${key})`);
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const context = join(staging, "context");
  await stageApp(name, join(context, "app"));
  for (const arch of arches) {
    mkdirSync(join(context, "bun", arch), { recursive: true });
    linkSync(buns.get(arch) as string, join(context, "bun", arch, "bun"));
  }
  const storage = containersStorage(env);
  const tag = (arch: Arch) => `localhost/${name}:${key}-${arch}`;
  const list = `localhost/${name}:${key}`;
  const layout = join(staging, "layout");
  const created = new Date(labels.epoch * 1000).toISOString().replace(".000Z", "Z");
  try {
    for (const arch of arches) {
      const base = bases.get(arch) as BaseImage;
      const args: Record<string, string> = {
        BASE: await loadBase(base, env),
        VERSION: labels.version,
        REVISION: labels.revision,
        CREATED: created,
        SOURCE: labels.source,
        LICENSES: labels.licenses,
        BASE_NAME: base.name,
        BASE_DIGEST: base.digest,
      };
      await must(
        [
          "buildah",
          ...storage,
          "build",
          "--quiet",
          "--layers",
          "--pull=never",
          "--identity-label=false",
          `--arch=${arch}`,
          "--os=linux",
          `--timestamp=${labels.epoch}`,
          ...Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
          "--file",
          join(imagesDir, `${name}.Containerfile`),
          "--tag",
          tag(arch),
          context,
        ],
        `buildah build ${name} ${arch}`,
      );
      await must(
        ["buildah", ...storage, "push", "--quiet", tag(arch), `oci:${layout}:${arch}`],
        "buildah push",
      );
    }
    await capture(["buildah", ...storage, "manifest", "rm", list]);
    await must(["buildah", ...storage, "manifest", "create", list], "buildah manifest create");
    for (const arch of arches) {
      await must(
        ["buildah", ...storage, "manifest", "add", list, `containers-storage:${tag(arch)}`],
        "manifest add",
      );
    }
    await must(
      ["buildah", ...storage, "manifest", "push", "--quiet", "--all", list, `oci:${layout}:index`],
      "buildah manifest push",
    );
    const image: BuiltImage = {
      name,
      key,
      layout: join(dir, "layout"),
      version: labels.version,
      revision: labels.revision,
      created,
      index: layoutRef(layout, "index").digest,
      arches: Object.fromEntries(
        arches.map((arch) => [arch, describeArch(layout, arch, bases.get(arch) as BaseImage)]),
      ),
    };
    rmSync(context, { recursive: true, force: true });
    writeFileSync(join(staging, "image.json"), `${JSON.stringify(image, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    pruneOldBuilds(name, env);
    log(`images: built ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return image;
  } finally {
    await capture(["buildah", ...storage, "manifest", "rm", list]);
    for (const arch of arches) await capture(["buildah", ...storage, "rmi", tag(arch)]);
    await capture(["buildah", ...storage, "rmi", "--prune"]);
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Both images for `arches` (the order of {@link IMAGE_NAMES}). */
export async function ensureImages(
  arches: readonly Arch[],
  log: Log,
  env: Env = process.env,
): Promise<BuiltImage[]> {
  const built: BuiltImage[] = [];
  for (const name of IMAGE_NAMES) built.push(await ensureImage(name, arches, log, env));
  return built;
}
