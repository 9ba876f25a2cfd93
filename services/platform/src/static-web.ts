/**
 * Serves the web app's static files on the HTTP/1.1 port (everything that is not an RPC). The built
 * app lives in `web/dist` (`WEB_DIST` overrides); until it is built, a small page says where the API
 * is. Paths are resolved inside the root only, and unknown paths fall back to `index.html` so the
 * app's client-side routes work on reload.
 *
 * Caching: files under `assets/` carry a content hash in their names (Vite), so they are served as
 * immutable for a year; everything else (index.html above all) is `no-cache` with an ETag, so a
 * reload revalidates it with a 304 instead of downloading it again.
 *
 * Compression: the build writes a Brotli (`.br`) and a gzip (`.gz`) copy beside each text file
 * (web/vite.config.ts). When the client accepts one of them and the copy exists, it is sent as is
 * with `Content-Encoding` — compressed once, at build time, at the highest levels, instead of on
 * every request. Without the copies (an older build, another `WEB_DIST`), or when a copy is older
 * than its file (the file was replaced since), files go out uncompressed.
 *
 * Security headers (security-headers.ts, docs/security.md): every response carries the page's set,
 * its Content-Security-Policy allowing the inline scripts of the index.html being served by their
 * hashes — worked out again whenever the file changes, so a rebuild under a running server needs
 * nothing more.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import {
  documentSecurityHeaders,
  type HeaderSet,
  setSecurityHeaders,
  type TlsDetection,
  tlsDetectionFromEnv,
} from "./security-headers";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** The precompressed copies the handler looks for, best first: file suffix and `Content-Encoding`. */
const ENCODINGS = [
  { coding: "br", suffix: ".br" },
  { coding: "gzip", suffix: ".gz" },
] as const;

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Todo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.25rem}@media(prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}code{background:#1f2937}}</style>
</head><body><h1>Todo is running</h1>
<p>The API answers on this origin over Connect and gRPC-web (for example
<code>POST /todo.identity.v1.AuthService/SignUp</code>), and over gRPC on the h2c port.</p>
<p>The web app is not built in this checkout; see the README.</p></body></html>`;

/**
 * The content codings `header` (an `Accept-Encoding` value) accepts, lower-case. A coding with
 * `q=0` is refused; `*` accepts any coding not named otherwise.
 */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  const refused = new Set<string>();
  let star = false;
  for (const part of (header ?? "").split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (name === "*") star = ok;
    else (ok ? accepted : refused).add(name);
  }
  if (star) for (const { coding } of ENCODINGS) if (!refused.has(coding)) accepted.add(coding);
  return accepted;
}

/** A file's regular-file stats, or undefined when it is missing or not a file. */
function fileStat(path: string): ReturnType<typeof statSync> | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the fallback handler for the web app rooted at `root`. `tls` says when to send HSTS
 * (default: from `TRUST_FORWARDED_PROTO`).
 */
export function createWebHandler(
  root: string,
  options: { readonly tls?: TlsDetection } = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const base = resolve(root);
  const index = join(base, "index.html");
  const hasApp = existsSync(index);
  const cache = createFileCache();
  const tls = options.tls ?? tlsDetectionFromEnv();
  const placeholderHeaders = documentSecurityHeaders(PLACEHOLDER);
  // The page's headers, for the index.html they were worked out from (its contents, from the cache).
  let pageHeaders: { data: Buffer; headers: HeaderSet } | undefined;
  const securityHeaders = (): HeaderSet => {
    if (!hasApp) return placeholderHeaders;
    let data: Buffer;
    try {
      data = cache.read(index);
    } catch {
      return placeholderHeaders;
    }
    if (pageHeaders?.data !== data)
      pageHeaders = { data, headers: documentSecurityHeaders(data.toString("utf8")) };
    return pageHeaders.headers;
  };
  return (req, res) => {
    setSecurityHeaders(req, res, securityHeaders(), tls);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    if (!hasApp) {
      res
        .writeHead(200, { "content-type": TYPES[".html"] as string, "cache-control": "no-cache" })
        .end(PLACEHOLDER);
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("bad path\n");
      return;
    }
    let file = resolve(base, `.${normalize(`/${path}`)}`);
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    let stat = fileStat(file);
    const isFile = stat !== undefined;
    if (!stat) {
      file = join(base, "index.html");
      stat = fileStat(file);
      if (!stat) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
    }
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    const immutable = isFile && file.includes(`${sep}assets${sep}`);
    const headers: Record<string, string> = {
      "content-type": type,
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    };

    const accepted = acceptedEncodings(req.headers["accept-encoding"]);
    let body = file;
    let coding: string | undefined;
    for (const e of ENCODINGS) {
      if (!accepted.has(e.coding)) continue;
      const st = fileStat(file + e.suffix);
      // A copy older than its file is left over from an earlier build: never send it.
      if (!st || st.mtimeMs < stat.mtimeMs) continue;
      body = file + e.suffix;
      coding = e.coding;
      break;
    }
    if (coding) headers["content-encoding"] = coding;
    // Caches must keep the encodings apart wherever a compressed copy exists, whichever was sent.
    if (ENCODINGS.some((e) => fileStat(file + e.suffix))) headers.vary = "accept-encoding";

    if (!immutable) {
      // The identity of the content as sent (the coding included): a reload revalidates with it.
      const etag = `"${Number(stat.size).toString(36)}-${Math.floor(Number(stat.mtimeMs)).toString(36)}${coding ? `-${coding}` : ""}"`;
      headers.etag = etag;
      const inm = req.headers["if-none-match"];
      if (inm?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
        res.writeHead(304, headers).end();
        return;
      }
    }
    let data: Buffer;
    try {
      data = cache.read(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    headers["content-length"] = String(data.length);
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : data);
  };
}

/**
 * File contents kept in memory, checked against the file's size and modification time on every
 * use. The app is a few hundred kilobytes that every first visit asks for at once — the same moment
 * the page's first ListTasks reaches this (single-threaded) server: answering from memory, in the
 * request's own turn, keeps those files from waiting behind the query for a disk read's callback.
 * Files above `maxFileBytes` are read each time and not kept.
 */
export function createFileCache(maxFileBytes = 2 * 1024 * 1024): { read(path: string): Buffer } {
  const entries = new Map<string, { size: number; mtimeMs: number; data: Buffer }>();
  return {
    read(path) {
      const st = statSync(path);
      const hit = entries.get(path);
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.data;
      const data = readFileSync(path);
      if (data.length <= maxFileBytes) entries.set(path, { size: st.size, mtimeMs: st.mtimeMs, data });
      else entries.delete(path);
      return data;
    },
  };
}
