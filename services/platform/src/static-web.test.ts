import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { acceptedEncodings, createFileCache, createWebHandler } from "./static-web";

const APP_JS = `console.log(${JSON.stringify("x".repeat(4000))});\n`;
const INDEX = "<!doctype html><title>Todo</title><div id=root></div>";

let root: string;
let server: Server;
let base: string;

/** A GET through a real socket, the body as sent (Bun's fetch would otherwise decode it). */
async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers, decompress: false } as RequestInit);
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
}

/** A GET with the path exactly as given, over a plain socket; the whole response as text. */
function rawGet(path: string): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((ok, fail) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n`,
      );
    });
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
    });
    socket.on("end", () => ok(text));
    socket.on("error", fail);
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "todo-static-"));
  mkdirSync(join(root, "assets"));
  writeFileSync(join(root, "index.html"), INDEX);
  writeFileSync(join(root, "index.html.gz"), gzipSync(INDEX));
  writeFileSync(join(root, "assets", "app-abc123.js"), APP_JS);
  writeFileSync(join(root, "assets", "app-abc123.js.br"), brotliCompressSync(APP_JS));
  writeFileSync(join(root, "assets", "app-abc123.js.gz"), gzipSync(APP_JS));
  writeFileSync(join(root, "assets", "plain-def456.css"), "body{margin:0}");
  writeFileSync(join(root, "secret.txt"), "outside the assets, still inside the root");
  server = createServer(createWebHandler(root));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

describe("acceptedEncodings", () => {
  it("reads codings, q-values and the wildcard", () => {
    expect([...acceptedEncodings("gzip, deflate, br, zstd")].sort()).toEqual([
      "br",
      "deflate",
      "gzip",
      "zstd",
    ]);
    expect([...acceptedEncodings("br;q=0, gzip;q=0.5")]).toEqual(["gzip"]);
    expect([...acceptedEncodings("*")].sort()).toEqual(["br", "gzip"]);
    expect([...acceptedEncodings("*, br;q=0")]).toEqual(["gzip"]);
    expect([...acceptedEncodings("identity")]).toEqual(["identity"]);
    expect(acceptedEncodings(undefined).size).toBe(0);
  });
});

describe("createWebHandler", () => {
  it("sends the Brotli copy of a hashed asset to a client that takes it, cached for a year", async () => {
    const res = await get("/assets/app-abc123.js", { "accept-encoding": "gzip, deflate, br" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("br");
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("vary")).toBe("accept-encoding");
    expect(Number(res.headers.get("content-length"))).toBe(res.body.length);
    expect(res.body.length).toBeLessThan(APP_JS.length / 10);
    expect(brotliDecompressSync(res.body).toString()).toBe(APP_JS);
  });

  it("falls back to gzip, then to the file itself", async () => {
    const gz = await get("/assets/app-abc123.js", { "accept-encoding": "gzip" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(APP_JS);

    const plain = await get("/assets/app-abc123.js", { "accept-encoding": "identity" });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.headers.get("vary")).toBe("accept-encoding");
    expect(new TextDecoder().decode(plain.body)).toBe(APP_JS);

    // No compressed copy at all: sent as is, and nothing to vary on.
    const css = await get("/assets/plain-def456.css", { "accept-encoding": "gzip, br" });
    expect(css.headers.get("content-encoding")).toBeNull();
    expect(css.headers.get("vary")).toBeNull();
    expect(new TextDecoder().decode(css.body)).toBe("body{margin:0}");
  });

  it("never sends a compressed copy older than its file", async () => {
    const path = join(root, "assets", "replaced-1a2b3c.js");
    writeFileSync(`${path}.gz`, gzipSync("old();"));
    writeFileSync(path, "new();");
    const past = new Date(Date.now() - 60_000);
    utimesSync(`${path}.gz`, past, past);
    const res = await get("/assets/replaced-1a2b3c.js", { "accept-encoding": "gzip" });
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(new TextDecoder().decode(res.body)).toBe("new();");
  });

  it("revalidates index.html with an ETag per encoding, also for the app's client-side routes", async () => {
    const first = await get("/", { "accept-encoding": "gzip" });
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-cache");
    expect(first.headers.get("content-encoding")).toBe("gzip");
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^".+-gzip"$/);
    expect(gunzipSync(first.body).toString()).toBe(INDEX);

    const again = await get("/tags", { "accept-encoding": "gzip", "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    // The uncompressed copy is another representation with another ETag.
    const plain = await get("/", { "if-none-match": etag });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("etag")).not.toBe(etag);
    expect(new TextDecoder().decode(plain.body)).toBe(INDEX);
  });

  it("serves files inside the root only, and only for GET and HEAD", async () => {
    // Sent as is over a socket (fetch would normalise the dots away): resolved inside the root,
    // where nothing has that name, so the app's index.html comes back — never the system's file.
    for (const path of [
      "/../../etc/passwd",
      "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/..%2f..%2fetc%2fpasswd",
    ]) {
      const raw = await rawGet(path);
      expect(raw).toStartWith("HTTP/1.1 200");
      expect(raw).toEndWith(INDEX);
      expect(raw).not.toContain("root:");
    }
    expect(await rawGet("/%E0%A4%A")).toStartWith("HTTP/1.1 400");

    const post = await fetch(`${base}/index.html`, { method: "POST" });
    expect(post.status).toBe(404);
    const head = await fetch(`${base}/assets/app-abc123.js`, {
      method: "HEAD",
      headers: { "accept-encoding": "identity" },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(APP_JS.length));
  });

  it("says where the API is when the app is not built", async () => {
    const empty = mkdtempSync(join(tmpdir(), "todo-static-empty-"));
    const s = createServer(createWebHandler(empty));
    await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/anything`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("The web app is not built");
    } finally {
      s.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("createFileCache", () => {
  it("keeps a file's bytes until the file changes, and does not keep big files", () => {
    const dir = mkdtempSync(join(tmpdir(), "todo-cache-"));
    try {
      const path = join(dir, "a.js");
      writeFileSync(path, "one");
      const cache = createFileCache(10);
      const first = cache.read(path);
      expect(first.toString()).toBe("one");
      expect(cache.read(path)).toBe(first);
      writeFileSync(path, "three");
      const later = new Date(Date.now() + 5_000);
      utimesSync(path, later, later);
      expect(cache.read(path).toString()).toBe("three");

      const big = join(dir, "big.js");
      writeFileSync(big, "x".repeat(11));
      const a = cache.read(big);
      expect(a.toString()).toBe("x".repeat(11));
      expect(cache.read(big)).not.toBe(a);
      expect(() => cache.read(join(dir, "missing.js"))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
