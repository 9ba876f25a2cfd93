/**
 * The Bun runtime that goes into the images (deploy/images): the `bin/bun` of the npm packages
 * `@oven/bun-linux-x64` and `@oven/bun-linux-aarch64` at the version the repository runs on, fetched
 * with `npm pack` from the npm registry (no GitHub release download), checked against the sha512
 * integrity pinned here, and cached in `${TODO_CACHE_DIR:-~/.cache/todo}/images/bun-<version>-<arch>/`.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "./cache-root.ts";
import { capture } from "./proc.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The image architectures, as OCI and Debian name them. */
export type Arch = "amd64" | "arm64";

/** Every architecture the images are built for. */
export const ARCHES: readonly Arch[] = ["amd64", "arm64"];

/** The Bun version in the images: the one the repository pins (`bun-types`, `.ci/run`). */
export const BUN_VERSION = "1.4.5";

/**
 * The npm package of each architecture's Bun and its tarball's integrity (`npm view <pkg>@<version>
 * dist.integrity`). A registry that served other bytes fails the build instead of shipping them.
 */
export const BUN_PACKAGES: Readonly<Record<Arch, { readonly name: string; readonly integrity: string }>> = {
  amd64: {
    name: "@oven/bun-linux-x64",
    integrity:
      "sha512-IWX9BELoGHAUtMonkeSaNaZwXzRk+oDw6Mk+HBFXd3KHYIBNBsIGRupMZPcgNoDbJpLu6gAJjIoIVPZtt1aJ1g==",
  },
  arm64: {
    name: "@oven/bun-linux-aarch64",
    integrity:
      "sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==",
  },
};

/** The ELF `e_machine` each architecture's binaries carry. */
const ELF_MACHINES: Readonly<Record<Arch, number>> = { amd64: 0x3e, arm64: 0xb7 };

/** The directory all image artefacts are cached under: `<cacheRoot>/images`. */
export function imagesCacheDir(env: Env = process.env): string {
  return join(cacheRoot(env), "images");
}

/** `sha512-<base64>` of `data`, the form npm writes integrities in. */
export function integrityOf(data: Uint8Array): string {
  return `sha512-${createHash("sha512").update(data).digest("base64")}`;
}

/**
 * The architecture an ELF file is built for, read from its header (`e_machine`), or `undefined`
 * when it is not a little-endian 64-bit ELF file for amd64 or arm64.
 */
export function elfArch(path: string): Arch | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(path, "r");
  try {
    if (readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } finally {
    closeSync(fd);
  }
  const isElf64Le = header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2 && header[5] === 1;
  if (!isElf64Le) return undefined;
  const machine = header.readUInt16LE(18);
  return (Object.keys(ELF_MACHINES) as Arch[]).find((arch) => ELF_MACHINES[arch] === machine);
}

/**
 * Returns the path of `arch`'s `bun` binary, fetching it first when the cache lacks it: `npm pack`
 * into a temporary directory, the integrity check, extraction of `package/bin/bun`, an ELF check,
 * then a rename into place (an interrupted fetch never leaves half a cache).
 */
export async function ensureBun(
  arch: Arch,
  log: (message: string) => void,
  env: Env = process.env,
): Promise<string> {
  const dir = join(imagesCacheDir(env), `bun-${BUN_VERSION}-${arch}`);
  const bun = join(dir, "bun");
  if (existsSync(bun)) return bun;
  const pkg = BUN_PACKAGES[arch];
  log(`images: fetching ${pkg.name}@${BUN_VERSION} from the npm registry`);
  mkdirSync(imagesCacheDir(env), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  try {
    const packed = await capture(["npm", "pack", "--json", `${pkg.name}@${BUN_VERSION}`], { cwd: staging });
    if (packed.code !== 0) throw new Error(`npm pack ${pkg.name}@${BUN_VERSION} failed:\n${packed.stderr}`);
    const [info] = JSON.parse(packed.stdout) as { filename: string; integrity: string }[];
    if (!info) throw new Error(`npm pack ${pkg.name}@${BUN_VERSION} printed no package`);
    const tarball = join(staging, info.filename);
    const integrity = integrityOf(readFileSync(tarball));
    if (integrity !== pkg.integrity || info.integrity !== pkg.integrity) {
      throw new Error(`${pkg.name}@${BUN_VERSION}: integrity ${integrity}, expected ${pkg.integrity}`);
    }
    const untar = await capture(["tar", "-xzf", tarball, "-C", staging, "package/bin/bun"]);
    if (untar.code !== 0) throw new Error(`cannot extract bin/bun from ${tarball}:\n${untar.stderr}`);
    rmSync(tarball);
    renameSync(join(staging, "package", "bin", "bun"), join(staging, "bun"));
    rmSync(join(staging, "package"), { recursive: true });
    const found = elfArch(join(staging, "bun"));
    if (found !== arch)
      throw new Error(`${pkg.name}: bin/bun is built for ${found ?? "no known machine"}, not ${arch}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return bun;
}
