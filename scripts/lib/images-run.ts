/**
 * Starts a built image (scripts/lib/images.ts) with podman, the way a container runtime would: the
 * image's own entrypoint, environment and user (read from its OCI config), a read-only root file
 * system, its ports published on loopback. Used by the image test (images.test.ts).
 *
 * What it takes to run podman 4.3 with crun on a machine like this one (a Firecracker VM, root
 * without CAP_SYS_RESOURCE, cgroups in hybrid mode):
 * - `--ulimit nofile=<our hard limit> --ulimit nproc=4096`: podman's defaults raise both limits, and
 *   raising a limit needs CAP_SYS_RESOURCE (crun: "setrlimit RLIMIT_NOFILE: Operation not
 *   permitted"); lowering one never does. (`--ulimit host` still raised NOFILE.)
 * - `--cgroups=disabled`, and, when cgroup v1 and v2 are mounted together with a controller in the
 *   v2 hierarchy, podman runs in a private mount namespace in which `/sys/fs/cgroup/unified` is
 *   unmounted: crun refuses any container otherwise ("cgroups in hybrid mode not supported, drop
 *   all controllers from cgroupv2"), and the host's mounts stay as they are.
 * - `--network slirp4netns:allow_host_loopback=true`: the container has its own network (its ports
 *   are the image's 8080 and 50051, published on free host ports) and reaches the host's loopback
 *   (PostgreSQL) at 10.0.2.2.
 * An arm64 image runs under `qemu-aarch64-static` (mounted into the container and put in front of
 * the image's entrypoint), as binfmt_misc is not mounted here.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containersStorage, storageRef } from "./images.ts";
import type { Arch } from "./images-bun.ts";
import { imageConfig, layoutRef, type OciImageConfig } from "./oci-layout.ts";
import { capture } from "./proc.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Where the host's loopback is, seen from a container on slirp4netns. */
export const HOST_LOOPBACK = "10.0.2.2";

/** `url` with a loopback host replaced by {@link HOST_LOOPBACK}, for a container to use. */
export function containerUrl(url: string): string {
  const parsed = new URL(url);
  if (["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)) parsed.hostname = HOST_LOOPBACK;
  return parsed.toString();
}

/**
 * True when crun would refuse to start a container: cgroup v1 hierarchies on a tmpfs with a cgroup
 * v2 hierarchy beside them (`unified`) that has a controller.
 */
export function hybridCgroupsWithControllers(): boolean {
  const fsType = Bun.spawnSync(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"]).stdout.toString().trim();
  if (fsType !== "tmpfs") return false;
  try {
    return readFileSync("/sys/fs/cgroup/unified/cgroup.controllers", "utf8").trim() !== "";
  } catch {
    return false;
  }
}

/** `podman <storage> …`, wrapped so that crun accepts this machine's cgroups (see the module doc). */
export function podman(args: readonly string[], env: Env = process.env): string[] {
  const cmd = ["podman", ...containersStorage(env), ...args];
  if (!hybridCgroupsWithControllers()) return cmd;
  return [
    "unshare",
    "--mount",
    "--propagation=private",
    "sh",
    "-c",
    'umount /sys/fs/cgroup/unified && exec "$@"',
    "sh",
    ...cmd,
  ];
}

/**
 * Copies reference `ref` of `layout` into the containers storage (skopeo: `podman pull oci:<path>`
 * names the image after its path, which fails for a path with a dot such as `~/.cache`); returns the
 * name it is stored under, which is derived from its manifest digest.
 */
export async function loadImage(layout: string, ref: string, env: Env = process.env): Promise<string> {
  const name = `localhost/todo-image-run:${layoutRef(layout, ref).digest.slice("sha256:".length, 28)}`;
  const copied = await capture(["skopeo", "copy", "--quiet", `oci:${layout}:${ref}`, storageRef(name, env)]);
  if (copied.code !== 0) throw new Error(`skopeo copy oci:${layout}:${ref} failed:\n${copied.stderr}`);
  return name;
}

function hardLimit(name: string): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === "unlimited" ? 1_048_576 : Math.min(Number(hard), 1_048_576);
}

/** How to start a container. */
export interface RunOptions {
  readonly layout: string;
  readonly arch: Arch;
  /** The command (CMD): the image's own when omitted. */
  readonly args?: readonly string[];
  /** Added to the image's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Container port → host port, published on 127.0.0.1 (slirp4netns only). */
  readonly publish?: Readonly<Record<number, number>>;
  /**
   * `slirp4netns` (the default: a network of its own, the host's loopback at {@link HOST_LOOPBACK}),
   * or `host`: the host's network, so the container and the host's processes share 127.0.0.1, as
   * the containers of one Kubernetes pod do.
   */
  readonly network?: "slirp4netns" | "host";
  /** `uid:gid` to run as instead of the image's USER (a pod's runAsUser/runAsGroup). */
  readonly user?: string;
  /** Writable in-memory mounts (a pod's emptyDir volumes): path → size limit (`64m`). */
  readonly tmpfs?: Readonly<Record<string, string>>;
}

/**
 * The `podman run` arguments for `options` and the loaded `image`: the image's entrypoint (behind
 * qemu for arm64), its user and environment, a read-only root with no writable /tmp, no privileges.
 */
export function runArgs(image: string, name: string, options: RunOptions, config: OciImageConfig): string[] {
  const entrypoint = config.config.Entrypoint ?? [];
  const command = options.args ?? config.config.Cmd ?? [];
  const qemu = options.arch === "arm64" ? ["/usr/bin/qemu-aarch64-static"] : [];
  return [
    "run",
    "--rm",
    `--name=${name}`,
    "--cgroups=disabled",
    `--ulimit=nofile=${hardLimit("Max open files")}:${hardLimit("Max open files")}`,
    "--ulimit=nproc=4096:4096",
    ...(options.network === "host"
      ? ["--network=host"]
      : [
          "--network=slirp4netns:allow_host_loopback=true",
          ...Object.entries(options.publish ?? {}).map(
            ([inner, outer]) => `--publish=127.0.0.1:${outer}:${inner}`,
          ),
        ]),
    ...(options.user ? [`--user=${options.user}`] : []),
    ...Object.entries(options.tmpfs ?? {}).map(([path, size]) => `--tmpfs=${path}:rw,size=${size},mode=1777`),
    "--read-only",
    "--read-only-tmpfs=false",
    "--cap-drop=all",
    "--security-opt=no-new-privileges",
    ...Object.entries(options.env ?? {}).map(([key, value]) => `--env=${key}=${value}`),
    ...(qemu.length > 0
      ? [
          `--arch=${options.arch}`,
          `--volume=${qemu[0]}:${qemu[0]}:ro`,
          `--entrypoint=${JSON.stringify([...qemu, ...entrypoint])}`,
        ]
      : []),
    image,
    ...command,
  ];
}

/** A started container. */
export interface Container {
  readonly name: string;
  /** The image it runs, as loaded into the containers storage ({@link removeImages} drops it). */
  readonly image: string;
  /** Its process's pid on this machine (0 once it ended). */
  pid(): Promise<number>;
  /** What it printed so far (empty once stopped). */
  output(): string;
  /** Resolves with its exit code. */
  readonly exited: Promise<number>;
  /** Runs `cmd` inside it (`podman exec`). */
  exec(cmd: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** SIGTERM, then removal. */
  stop(): Promise<void>;
}

/** Starts `options.layout`'s image for `options.arch` under podman (it runs until {@link Container.stop}). */
export async function startContainer(options: RunOptions, env: Env = process.env): Promise<Container> {
  const config = imageConfig(options.layout, options.arch);
  const id = await loadImage(options.layout, options.arch, env);
  const name = `todo-image-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  // Both outputs go to one file (appended, so neither overwrites the other), read when asked for.
  const logDir = mkdtempSync(join(tmpdir(), "todo-image-run-"));
  const logFile = join(logDir, "output.log");
  const fd = openSync(logFile, "a");
  const child = Bun.spawn(podman(runArgs(id, name, options, config), env), {
    stdin: "ignore",
    stdout: fd,
    stderr: fd,
  });
  closeSync(fd);
  return {
    name,
    image: id,
    async pid() {
      const inspected = await capture(podman(["inspect", "--format", "{{.State.Pid}}", name], env));
      return inspected.code === 0 ? Number(inspected.stdout.trim()) : 0;
    },
    output: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    exited: child.exited,
    exec: (cmd) => capture(podman(["exec", name, ...cmd], env)),
    async stop() {
      child.kill("SIGTERM");
      const done = await Promise.race([child.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
      if (!done) child.kill("SIGKILL");
      await capture(podman(["rm", "--force", "--ignore", name], env));
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** Runs the image to completion (a one-shot command such as `task migrate`); its exit code and output. */
export async function runContainer(
  options: RunOptions,
  env: Env = process.env,
): Promise<{ code: number; stdout: string; stderr: string; image: string }> {
  const config = imageConfig(options.layout, options.arch);
  const id = await loadImage(options.layout, options.arch, env);
  const name = `todo-image-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  return { ...(await capture(podman(runArgs(id, name, options, config), env))), image: id };
}

/** Removes loaded images from the containers storage (the OCI layouts in the cache stay). */
export async function removeImages(names: Iterable<string>, env: Env = process.env): Promise<void> {
  const list = [...new Set(names)];
  if (list.length > 0) await capture(podman(["rmi", "--force", "--ignore", ...list], env));
}
