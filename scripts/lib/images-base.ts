/**
 * The images' base, built here from Debian's packages because no registry image can be pulled: a
 * Debian bookworm root file system of glibc, libgcc, CA certificates and time-zone data (what Bun
 * needs: `readelf -d bun` lists only libc, libm, libpthread, libdl and the loader), made by
 * `mmdebstrap --variant=extract` — which unpacks packages without running any of their scripts, so
 * the arm64 base is made on an amd64 machine with no emulation — and imported as a one-layer OCI
 * image with umoci. It is cached per architecture in
 * `${TODO_CACHE_DIR:-~/.cache/todo}/images/base-bookworm-<arch>-<hash>/` (`<hash>` covers the
 * package list, the mirrors and this file), and the images take it by digest.
 *
 * apt pulls in the packages' dependencies (openssl, libssl3, debconf, mawk); as nothing runs their
 * scripts and Bun carries its own TLS, their files are removed again. What stays is recorded the
 * way distroless images record it (`/var/lib/dpkg/status.d/<package>`), so image scanners see the
 * Debian packages and their versions. The user `nonroot` (65532:65532) gets `/etc/passwd` and
 * `/etc/group` entries and a home directory.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { type Arch, imagesCacheDir } from "./images-bun.ts";
import { capture } from "./proc.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The Debian release of the base. */
export const BASE_SUITE = "bookworm";

/** The packages whose files stay in the base (gcc-12-base is libgcc-s1's dependency: its copyright). */
export const BASE_PACKAGES: readonly string[] = [
  "base-files",
  "libc6",
  "libgcc-s1",
  "gcc-12-base",
  "ca-certificates",
  "tzdata",
];

/** Paths dpkg would leave out (honoured by mmdebstrap's extract): documentation but the copyrights. */
const DPKG_OPTIONS: readonly string[] = [
  "path-exclude=/usr/share/doc/*",
  "path-include=/usr/share/doc/*/copyright",
  "path-exclude=/usr/share/man/*",
  "path-exclude=/usr/share/info/*",
  "path-exclude=/usr/share/lintian/*",
  "path-exclude=/usr/share/locale/*",
  "path-exclude=/usr/lib/*/gconv/*",
];

/** The uid and gid the images run as (the distroless convention). */
export const NONROOT_ID = 65532;

/**
 * The apt sources: the Debian archive this machine's apt uses (deb.debian.org: bookworm,
 * bookworm-updates, bookworm-security), or `TODO_DEBIAN_MIRROR` (e.g. a snapshot.debian.org URL) for
 * the main archive.
 */
export function debianSources(env: Env = process.env): string[] {
  const mirror = env.TODO_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
  return [
    `deb ${mirror} ${BASE_SUITE} main`,
    `deb ${mirror} ${BASE_SUITE}-updates main`,
    `deb http://deb.debian.org/debian-security ${BASE_SUITE}-security main`,
  ];
}

/** A built base: where buildah finds it, and what it is. */
export interface BaseImage {
  readonly arch: Arch;
  /** Where it is stored: the OCI layout reference `oci:<layout>:<arch>`. */
  readonly ref: string;
  /** The name recorded in `org.opencontainers.image.base.name`. */
  readonly name: string;
  /** The manifest digest (`sha256:…`): the base is pinned by it. */
  readonly digest: string;
  /** `<package> <version>` lines of what it holds. */
  readonly packages: readonly string[];
}

/** The cache directory of `arch`'s base for the current recipe. */
export function baseDir(arch: Arch, env: Env = process.env): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([BASE_SUITE, BASE_PACKAGES, DPKG_OPTIONS, debianSources(env)]))
    .update(readFileSync(import.meta.path))
    .digest("hex")
    .slice(0, 12);
  return join(imagesCacheDir(env), `base-${BASE_SUITE}-${arch}-${hash}`);
}

async function run(cmd: readonly string[], what: string): Promise<string> {
  const result = await capture(cmd);
  if (result.code !== 0) {
    throw new Error(`${what} failed (exit ${result.code}): ${cmd.join(" ")}\n${result.stderr.slice(-3000)}`);
  }
  return result.stdout;
}

/** Fields of a deb's control file (`dpkg-deb --field`), for status.d. */
function parseControl(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const match of text.matchAll(/^([\w-]+): ?(.*(?:\n[ \t].*)*)/gm)) {
    if (match[1]) fields.set(match[1], match[2] ?? "");
  }
  return fields;
}

/**
 * Turns what mmdebstrap extracted in `rootfs` into the base: removes the files of packages outside
 * {@link BASE_PACKAGES}, records the kept ones in `/var/lib/dpkg/status.d`, writes the CA bundle
 * (ca-certificates' postinst would), the users, and empty files for what the runtime mounts.
 * Returns the `<package> <version>` lines.
 */
async function finishRootfs(rootfs: string): Promise<string[]> {
  const archives = join(rootfs, "var", "cache", "apt", "archives");
  const statusDir = join(rootfs, "var", "lib", "dpkg", "status.d");
  const kept: string[] = [];
  const control = new Map<string, Map<string, string>>();
  const keptDirs = new Set<string>();
  const dropped: string[][] = [];
  for (const deb of readdirSync(archives).filter((f) => f.endsWith(".deb"))) {
    const fields = parseControl(await run(["dpkg-deb", "--field", join(archives, deb)], "dpkg-deb --field"));
    const name = fields.get("Package") ?? deb;
    const listing = await run(
      ["sh", "-c", 'dpkg-deb --fsys-tarfile "$1" | tar -t', "sh", join(archives, deb)],
      `listing ${deb}`,
    );
    const paths = listing.split("\n").filter((p) => p && p !== "./");
    if (BASE_PACKAGES.includes(name)) {
      control.set(name, fields);
      kept.push(`${name} ${fields.get("Version")}`);
      for (const p of paths) if (p.endsWith("/")) keptDirs.add(p);
    } else dropped.push(paths);
  }
  for (const paths of dropped) {
    // Files and links first, then the directories they leave empty (deepest first) that no kept
    // package ships.
    for (const p of paths.filter((p) => !p.endsWith("/"))) rmSync(join(rootfs, p), { force: true });
    for (const p of paths.filter((p) => p.endsWith("/")).sort((a, b) => b.length - a.length)) {
      const dir = join(rootfs, p);
      if (!keptDirs.has(p) && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    }
  }
  // The runtime mounts /dev: no device nodes in the layer.
  for (const entry of readdirSync(join(rootfs, "dev"))) {
    rmSync(join(rootfs, "dev", entry), { recursive: true, force: true });
  }
  for (const name of BASE_PACKAGES)
    if (!control.has(name)) throw new Error(`base: apt did not fetch ${name}`);

  for (const dir of [
    "var/cache/apt",
    "var/lib/apt",
    "var/lib/dpkg",
    "var/cache/debconf",
    "etc/apt",
    "etc/dpkg",
  ]) {
    rmSync(join(rootfs, dir), { recursive: true, force: true });
  }
  rmSync(join(rootfs, "etc", "fstab"), { force: true });
  mkdirSync(statusDir, { recursive: true });
  for (const [name, fields] of control) {
    const lines = [...fields].map(([key, value]) => `${key}: ${value}`);
    lines.splice(1, 0, "Status: install ok installed");
    writeFileSync(join(statusDir, name), `${lines.join("\n")}\n`);
  }

  const certsRoot = join(rootfs, "usr", "share", "ca-certificates");
  const certs = (readdirSync(certsRoot, { recursive: true }) as string[])
    .filter((p) => p.endsWith(".crt"))
    .sort();
  if (certs.length < 100) throw new Error(`base: only ${certs.length} CA certificates in ${certsRoot}`);
  const bundle = certs.map((p) => readFileSync(join(certsRoot, p), "utf8").trimEnd()).join("\n");
  mkdirSync(join(rootfs, "etc", "ssl", "certs"), { recursive: true });
  writeFileSync(join(rootfs, "etc", "ssl", "certs", "ca-certificates.crt"), `${bundle}\n`);

  const files: Record<string, string> = {
    "etc/passwd": `root:x:0:0:root:/root:/usr/sbin/nologin\nnonroot:x:${NONROOT_ID}:${NONROOT_ID}:nonroot:/home/nonroot:/usr/sbin/nologin\n`,
    "etc/group": `root:x:0:\nnonroot:x:${NONROOT_ID}:\n`,
    "etc/nsswitch.conf":
      "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nservices: files\nprotocols: files\n",
    "etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "etc/hostname": "",
    "etc/resolv.conf": "",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(rootfs, path)), { recursive: true });
    rmSync(join(rootfs, path), { force: true });
    writeFileSync(join(rootfs, path), text, { mode: 0o644 });
  }
  const home = join(rootfs, "home", "nonroot");
  mkdirSync(home, { recursive: true });
  chownSync(home, NONROOT_ID, NONROOT_ID);
  chmodSync(home, 0o750);
  mkdirSync(join(rootfs, "tmp"), { recursive: true });
  chmodSync(join(rootfs, "tmp"), 0o1777);
  return kept.sort();
}

/**
 * Returns `arch`'s base, building it when the cache lacks it: mmdebstrap into a temporary
 * directory, {@link finishRootfs}, a reproducible tar (sorted, numeric owners, no access times) as
 * the one layer of an OCI layout made with umoci, renamed into place when complete.
 */
export async function ensureBase(
  arch: Arch,
  log: (message: string) => void,
  env: Env = process.env,
): Promise<BaseImage> {
  const dir = baseDir(arch, env);
  const name = `localhost/todo-base:${BASE_SUITE}-${arch}-${dir.slice(-12)}`;
  const info = join(dir, "base.json");
  if (existsSync(info)) return JSON.parse(readFileSync(info, "utf8")) as BaseImage;

  log(`images: building the ${BASE_SUITE} ${arch} base with mmdebstrap (${BASE_PACKAGES.join(", ")})`);
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const rootfs = join(staging, "rootfs");
  try {
    await run(
      [
        "mmdebstrap",
        "--quiet",
        "--mode=root",
        "--variant=extract",
        `--architectures=${arch}`,
        `--include=${BASE_PACKAGES.join(",")}`,
        // No device nodes (the runtime provides /dev); keep the .debs for finishRootfs.
        "--skip=output/dev,output/mknod,cleanup/apt/cache",
        ...DPKG_OPTIONS.map((option) => `--dpkgopt=${option}`),
        BASE_SUITE,
        rootfs,
        ...debianSources(env),
      ],
      "mmdebstrap",
    );
    const packages = await finishRootfs(rootfs);
    const created = new Date();
    const epoch = Math.floor(created.getTime() / 1000);
    const layer = join(staging, "rootfs.tar");
    await run(
      [
        "tar",
        "--create",
        `--file=${layer}`,
        "--sort=name",
        "--format=posix",
        "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
        "--numeric-owner",
        `--mtime=@${epoch}`,
        "--clamp-mtime",
        `--directory=${rootfs}`,
        ".",
      ],
      "tar of the base",
    );
    rmSync(rootfs, { recursive: true, force: true });
    const layout = join(staging, "layout");
    const image = `${layout}:${arch}`;
    const iso = created.toISOString();
    await run(["umoci", "init", "--layout", layout], "umoci init");
    await run(["umoci", "new", "--image", image], "umoci new");
    await run(
      [
        "umoci",
        "raw",
        "add-layer",
        "--image",
        image,
        `--history.created=${iso}`,
        `--history.created_by=mmdebstrap --variant=extract ${BASE_SUITE} ${BASE_PACKAGES.join(",")}`,
        layer,
      ],
      "umoci raw add-layer",
    );
    await run(
      [
        "umoci",
        "config",
        "--image",
        image,
        "--no-history",
        `--architecture=${arch}`,
        "--os=linux",
        `--created=${iso}`,
        "--config.env=PATH=/usr/local/bin:/usr/bin:/bin",
        "--config.env=SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
        "--config.workingdir=/",
      ],
      "umoci config",
    );
    await run(["umoci", "gc", "--layout", layout], "umoci gc");
    rmSync(layer);
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
      manifests: { digest: string }[];
    };
    const digest = index.manifests[0]?.digest;
    if (!digest) throw new Error(`base: ${layout} has no manifest`);
    const base: BaseImage = { arch, ref: `oci:${join(dir, "layout")}:${arch}`, name, digest, packages };
    writeFileSync(join(staging, "base.json"), `${JSON.stringify(base, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    log(`images: base ${arch} ${digest.slice(0, 19)}: ${packages.join(", ")}`);
    return base;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
