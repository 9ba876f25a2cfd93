/**
 * The images, built for real (or found in the cache for the current inputs) and run: each image's
 * own entrypoint, environment and user under podman, read-only, and its gRPC health seen SERVING —
 * `todo task` on a fresh PostgreSQL database over Connect and over gRPC, `todo-edge` on its own, and
 * the arm64 `todo task` under qemu-aarch64-static. Needs root, buildah, podman, umoci, mmdebstrap,
 * qemu-user-static and the PostgreSQL of `bun scripts/infra.ts up` (DATABASE_URL); a missing one
 * fails the test.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@todo/gen/grpc/health/v1/health_pb";
import postgres from "postgres";
import { createDatabase, dropDatabase, eventually, freePort } from "../../tests/integration/system.ts";
import { type BuiltImage, ensureImages } from "./images.ts";
import { ARCHES, type Arch, BUN_VERSION, elfArch } from "./images-bun.ts";
import { pushImages } from "./images-push.ts";
import { containerUrl, removeImages, runContainer, startContainer } from "./images-run.ts";
import { imageConfig, imageLayers, layoutRef, readBlob } from "./oci-layout.ts";
import { capture } from "./proc.ts";

const BUILD_TIMEOUT = 20 * 60_000;
const JWT_SECRET = "image-test-secret-0123456789abcdef0123456789";
const MAX_BYTES = 150e6;

const adminUrl = process.env.DATABASE_URL;
let todo: BuiltImage;
let edge: BuiltImage;
const databases: string[] = [];
const unpacked: string[] = [];
const loaded = new Set<string>();

beforeAll(async () => {
  const started = performance.now();
  [todo, edge] = (await ensureImages(ARCHES, (m) => console.error(m))) as [BuiltImage, BuiltImage];
  console.error(`images ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, BUILD_TIMEOUT);

afterAll(async () => {
  for (const dir of unpacked) rmSync(dir, { recursive: true, force: true });
  await removeImages(loaded);
  const started = performance.now();
  if (adminUrl) for (const name of databases) await dropDatabase(adminUrl, name);
  console.error(
    `dropped ${databases.length} databases in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}, 60_000);

/** A fresh database on the test PostgreSQL, as a container reaches it. */
async function freshDatabase(): Promise<{ url: string; containerUrl: string }> {
  if (!adminUrl)
    throw new Error("the image test needs PostgreSQL: run `bun scripts/infra.ts up` and export DATABASE_URL");
  const name = `images_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  databases.push(name);
  const url = await createDatabase(adminUrl, name);
  return { url, containerUrl: containerUrl(url) };
}

/** Unpacks `arch` of `image` with umoci; returns its root file system. */
async function unpack(image: BuiltImage, arch: Arch): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `todo-image-${image.name}-${arch}-`));
  unpacked.push(dir);
  const result = await capture([
    "umoci",
    "unpack",
    "--image",
    `${image.layout}:${arch}`,
    join(dir, "bundle"),
  ]);
  if (result.code !== 0) throw new Error(`umoci unpack failed: ${result.stderr}`);
  return join(dir, "bundle", "rootfs");
}

async function connectHealth(port: number): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  return res.ok ? ((await res.json()) as { status?: string }).status : undefined;
}

async function grpcHealth(port: number): Promise<HealthCheckResponse_ServingStatus> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return (await health.check({}, { timeoutMs: 5000 })).status;
}

test("each image is an index of a linux/amd64 and a linux/arm64 image", () => {
  for (const image of [todo, edge]) {
    const index = readBlob<{ manifests: { platform: { os: string; architecture: string } }[] }>(
      image.layout,
      layoutRef(image.layout, "index").digest,
    );
    expect(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort()).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
  }
});

test("each image's config: uid 65532, no HEALTHCHECK, the OCI labels, its environment, ports and entrypoint", () => {
  const expected = {
    todo: {
      entrypoint: ["/usr/local/bin/bun", "/app/todo.js"],
      ports: ["50051/tcp", "8080/tcp"],
      env: ["GRPC_PORT=50051"],
    },
    "todo-edge": {
      entrypoint: ["/usr/local/bin/bun", "/app/edge.js"],
      ports: ["8080/tcp"],
      env: ["WEB_DIST=/app/web/dist"],
    },
  };
  for (const image of [todo, edge]) {
    for (const arch of ARCHES) {
      const { architecture, os, config } = imageConfig(image.layout, arch);
      expect(`${os}/${architecture}`).toBe(`linux/${arch}`);
      expect(config.User).toBe("65532:65532");
      expect(config.Healthcheck).toBeUndefined();
      expect(config.Entrypoint).toEqual(expected[image.name].entrypoint);
      expect(Object.keys(config.ExposedPorts ?? {}).sort()).toEqual(expected[image.name].ports);
      expect(config.Env).toEqual(
        expect.arrayContaining([
          "HOST=0.0.0.0",
          "PORT=8080",
          "NODE_ENV=production",
          ...expected[image.name].env,
        ]),
      );
      const labels = config.Labels ?? {};
      for (const label of [
        "title",
        "description",
        "version",
        "revision",
        "created",
        "source",
        "licenses",
        "base.name",
        "base.digest",
      ]) {
        expect(labels[`org.opencontainers.image.${label}`] ?? "").not.toBe("");
      }
      expect(labels["org.opencontainers.image.title"]).toBe(image.name);
      expect(labels["org.opencontainers.image.revision"]).toBe(image.revision);
      expect(labels["org.opencontainers.image.base.digest"]).toBe(image.arches[arch]?.base as string);
      expect(labels["org.opencontainers.image.created"]).toBe(image.created);
    }
  }
});

test("each image is under 150 MB unpacked, and both share the base and Bun layers", () => {
  for (const image of [todo, edge]) {
    for (const arch of ARCHES) {
      const built = image.arches[arch];
      console.error(
        `${image.name} ${arch}: ${(built?.uncompressedBytes ?? 0) / 1e6} MB unpacked, ${(built?.compressedBytes ?? 0) / 1e6} MB compressed`,
      );
      expect(built?.uncompressedBytes ?? Infinity).toBeLessThan(MAX_BYTES);
    }
  }
  for (const arch of ARCHES) {
    const layers = (image: BuiltImage) => imageLayers(image.layout, arch).map((l) => l.digest);
    expect(layers(todo)).toHaveLength(3);
    expect(layers(edge).slice(0, 2)).toEqual(layers(todo).slice(0, 2));
  }
});

test("the root file systems: Bun for their architecture, the nonroot user, CA certificates, no shell, bundles only", async () => {
  for (const arch of ARCHES) {
    const rootfs = await unpack(todo, arch);
    expect(elfArch(join(rootfs, "usr/local/bin/bun"))).toBe(arch);
    expect(readFileSync(join(rootfs, "etc/passwd"), "utf8")).toContain("nonroot:x:65532:65532:");
    expect(readFileSync(join(rootfs, "etc/group"), "utf8")).toContain("nonroot:x:65532:");
    const bundle = readFileSync(join(rootfs, "etc/ssl/certs/ca-certificates.crt"), "utf8");
    expect(bundle.match(/BEGIN CERTIFICATE/g)?.length ?? 0).toBeGreaterThan(100);
    expect(readdirSync(join(rootfs, "var/lib/dpkg/status.d")).sort()).toContain("libc6");
    for (const absent of ["bin/sh", "usr/bin/apt", "usr/bin/dpkg", "usr/bin/openssl", "app/node_modules"]) {
      expect(existsSync(join(rootfs, absent))).toBe(false);
    }
    const app = readdirSync(join(rootfs, "app"), { recursive: true }) as string[];
    expect(app).toContain("todo.js");
    expect(app).toContain(join("services", "task", "src", "main.js"));
    expect(app.filter((f) => /\.(ts|tsx|sql|map)$/.test(f))).toEqual([]);
    if (arch === "arm64") {
      const version = await capture([
        "qemu-aarch64-static",
        "-L",
        rootfs,
        join(rootfs, "usr/local/bin/bun"),
        "--version",
      ]);
      expect(version.stdout.trim()).toBe(BUN_VERSION);
    }
  }
  const edgeRoot = await unpack(edge, "amd64");
  expect(existsSync(join(edgeRoot, "app/edge.js"))).toBe(true);
  expect(readFileSync(join(edgeRoot, "app/web/dist/index.html"), "utf8")).toContain("<!doctype html>");
}, 120_000);

test("both images push to a registry (pushImages: skopeo copy --all), sharing the base and Bun layers", async () => {
  const dir = mkdtempSync(join(tmpdir(), "todo-image-registry-"));
  unpacked.push(dir);
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  // Debian's docker-registry (the CNCF distribution registry) stands in for GHCR.
  const registry = Bun.spawn(["docker-registry", "serve", config], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await eventually(
      "the registry",
      async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).ok,
      30_000,
      100,
    );
    const digests = await pushImages([todo, edge], `127.0.0.1:${port}/todo-app`, "0.1.0-test", {
      tlsVerify: false,
    });
    for (const image of [todo, edge]) {
      expect(digests[image.name]).toBe(image.index);
      const res = await fetch(`http://127.0.0.1:${port}/v2/todo-app/${image.name}/manifests/0.1.0-test`, {
        headers: { accept: "application/vnd.oci.image.index.v1+json" },
      });
      expect(res.headers.get("docker-content-digest")).toBe(image.index);
      expect(((await res.json()) as { manifests: unknown[] }).manifests).toHaveLength(2);
    }
    const blobs = join(dir, "data", "docker", "registry", "v2", "blobs");
    const stored = (readdirSync(blobs, { recursive: true }) as string[])
      .filter((p) => p.endsWith("/data"))
      .reduce((sum, p) => sum + statSync(join(blobs, p)).size, 0);
    const pushedBytes = [todo, edge]
      .flatMap((i) => ARCHES.map((a) => i.arches[a]?.compressedBytes ?? 0))
      .reduce((x, y) => x + y);
    console.error(
      `registry: ${(stored / 1e6).toFixed(1)} MB stored for ${(pushedBytes / 1e6).toFixed(1)} MB of images`,
    );
    expect(stored).toBeLessThan(pushedBytes * 0.6);
  } finally {
    registry.kill();
    await registry.exited;
  }
}, 120_000);

/** Starts `todo task` for `arch` on a fresh database; checks health over Connect and gRPC. */
async function checkTaskService(arch: Arch, timeoutMs: number): Promise<void> {
  const db = await freshDatabase();
  const [http, grpc] = [await freePort(), await freePort()];
  const container = await startContainer({
    layout: todo.layout,
    arch,
    args: ["task"],
    // Health needs no token, so the session checks' identity service is never called here.
    env: { DATABASE_URL: db.containerUrl, JWT_SECRET, IDENTITY_SERVICE_URL: "http://127.0.0.1:1" },
    publish: { 8080: http, 50051: grpc },
  });
  loaded.add(container.image);
  try {
    const started = performance.now();
    await eventually(
      `todo task (${arch}) SERVING over Connect`,
      () => connectHealth(http).then((s) => s === "SERVING"),
      timeoutMs,
      250,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${container.output().slice(-3000)}`);
    });
    console.error(
      `todo task (${arch}): SERVING after ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(await grpcHealth(grpc)).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const status = readFileSync(`/proc/${await container.pid()}/status`, "utf8");
    expect(status).toMatch(/^Uid:\t65532\t65532\t65532\t65532$/m);
    expect(status).toMatch(/^Gid:\t65532\t65532\t65532\t65532$/m);
    expect(status).toMatch(/^CapEff:\t0+$/m);
    const bun =
      arch === "arm64" ? ["/usr/bin/qemu-aarch64-static", "/usr/local/bin/bun"] : ["/usr/local/bin/bun"];
    const write = await container.exec([
      ...bun,
      "-e",
      'for (const f of ["/app/x", "/tmp/x", "/x"]) try { require("fs").writeFileSync(f, ""); console.log(f, "written") } catch (e) { console.log(f, e.code) }',
    ]);
    expect(write.stdout.trim().split("\n")).toEqual(["/app/x EROFS", "/tmp/x EROFS", "/x EROFS"]);
  } finally {
    await container.stop();
  }
  expect(await container.exited).toBe(0);
}

test("todo task (amd64): SERVING over Connect on 8080 and gRPC on 50051, as 65532 with no capabilities, read-only", async () => {
  await checkTaskService("amd64", 60_000);
}, 120_000);

test("every other service of the todo image starts from it and is SERVING", async () => {
  const db = await freshDatabase();
  for (const service of ["identity", "tag", "scheduler", "notification", "assistant"]) {
    const port = await freePort();
    const container = await startContainer({
      layout: todo.layout,
      arch: "amd64",
      args: [service],
      // The clients of other services connect lazily: where they point does not matter here.
      env: {
        DATABASE_URL: db.containerUrl,
        JWT_SECRET,
        TASK_SERVICE_URL: "http://127.0.0.1:1",
        TAG_SERVICE_URL: "http://127.0.0.1:1",
        IDENTITY_SERVICE_URL: "http://127.0.0.1:1",
      },
      publish: { 8080: port },
    });
    loaded.add(container.image);
    try {
      await eventually(
        `todo ${service} SERVING`,
        () => connectHealth(port).then((s) => s === "SERVING"),
        60_000,
        250,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${container.output().slice(-3000)}`);
      });
    } finally {
      await container.stop();
    }
    expect(await container.exited).toBe(0);
  }
}, 180_000);

test("todo task migrate applies the task service's migrations and exits 0", async () => {
  const db = await freshDatabase();
  const result = await runContainer({
    layout: todo.layout,
    arch: "amd64",
    args: ["task", "migrate"],
    env: { DATABASE_URL: db.containerUrl },
  });
  loaded.add(result.image);
  expect(result.code).toBe(0);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ n: number }[]>`select count(*)::int as n from task.schema_migrations`;
    expect(rows[0]?.n ?? 0).toBeGreaterThan(0);
  } finally {
    await sql.end({ timeout: 5 });
  }
}, 120_000);

test("todo without a service, or with an unknown one, exits 2 and names every service", async () => {
  for (const args of [[], ["nonsense"]]) {
    const result = await runContainer({ layout: todo.layout, arch: "amd64", args });
    loaded.add(result.image);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("usage: todo <service> [migrate]");
    expect(result.stderr).toContain("identity, task, tag, scheduler, notification, assistant");
  }
}, 120_000);

test("todo-edge (amd64): GET /healthz, grpc.health.v1.Health/Check SERVING, and the web app", async () => {
  const port = await freePort();
  const container = await startContainer({ layout: edge.layout, arch: "amd64", publish: { 8080: port } });
  loaded.add(container.image);
  try {
    await eventually(
      "todo-edge /healthz",
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200,
      60_000,
      250,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${container.output().slice(-3000)}`);
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe("ok");
    expect(await connectHealth(port)).toBe("SERVING");
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<!doctype html>");
    const status = readFileSync(`/proc/${await container.pid()}/status`, "utf8");
    expect(status).toMatch(/^Uid:\t65532\t65532\t65532\t65532$/m);
  } finally {
    await container.stop();
  }
  expect(await container.exited).toBe(0);
}, 120_000);

test("todo task (arm64, under qemu-aarch64-static): SERVING over Connect and gRPC", async () => {
  await checkTaskService("arm64", 180_000);
}, 300_000);
