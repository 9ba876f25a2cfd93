/**
 * Serves the web app's static files on the HTTP/1.1 port (everything that is not an RPC). The built
 * app lives in `web/dist` (`WEB_DIST` overrides); until it is built, a small page says where the API
 * is. Paths are resolved inside the root only, and unknown paths fall back to `index.html` so the
 * app's client-side routes work on reload.
 */
import { existsSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Todo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.25rem}@media(prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}code{background:#1f2937}}</style>
</head><body><h1>Todo is running</h1>
<p>The API answers on this origin over Connect and gRPC-web (for example
<code>POST /todo.identity.v1.AuthService/SignUp</code>), and over gRPC on the h2c port.</p>
<p>The web app is not built in this checkout; see the README.</p></body></html>`;

/** Creates the fallback handler for the web app rooted at `root`. */
export function createWebHandler(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  const base = resolve(root);
  const hasApp = existsSync(join(base, "index.html"));
  return (req, res) => {
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
    const isFile = existsSync(file) && statSync(file).isFile();
    if (!isFile) file = join(base, "index.html");
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    const immutable = isFile && file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      "content-type": type,
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    Bun.file(file)
      .arrayBuffer()
      .then((buf) => res.end(Buffer.from(buf)))
      .catch(() => res.destroy());
  };
}
