/**
 * The web app handler's security headers (static-web.ts with security-headers.ts), over a real
 * socket: every answer carries the page's set, its policy allowing the inline scripts of the
 * index.html being served (worked out again after a rebuild), HSTS only over (trusted) TLS, and the
 * placeholder page's inline style allowed by its hash.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cspHash, HSTS, PERMISSIONS_POLICY } from "./security-headers";
import { createWebHandler } from "./static-web";

const SCRIPT = 'document.documentElement.dataset.theme = "dark";';
const page = (script: string) =>
  `<!doctype html><title>Todo</title><script>${script}</script><script type="module" src="/assets/app.js"></script><div id=root></div>`;

let root: string;
const servers: Server[] = [];

/** Serves `dir` with the handler; resolves to its base URL. */
async function serve(dir: string, trustForwardedProto = false): Promise<string> {
  const server = createServer(createWebHandler(dir, { tls: { trustForwardedProto } }));
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The `script-src` sources of a response's policy. */
function scriptSources(res: Response): string[] {
  const csp = res.headers.get("content-security-policy") ?? "";
  const directive = csp.split(";").find((d) => d.trim().startsWith("script-src")) ?? "";
  return directive.trim().split(/\s+/).slice(1);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "todo-static-sec-"));
  mkdirSync(join(root, "assets"));
  writeFileSync(join(root, "index.html"), page(SCRIPT));
  writeFileSync(join(root, "assets", "app.js"), "console.log(1);\n");
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(root, { recursive: true, force: true });
});

describe("the web app's security headers", () => {
  it("the page, a client-side route, an asset, a 304 and a 404 all carry the page's set", async () => {
    const base = await serve(root);
    const first = await fetch(`${base}/`);
    const etag = first.headers.get("etag") ?? "";
    const answers = [
      first,
      await fetch(`${base}/tags`),
      await fetch(`${base}/assets/app.js`),
      await fetch(`${base}/`, { headers: { "if-none-match": etag } }),
      await fetch(`${base}/`, { method: "POST" }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 304, 404]);
    for (const res of answers) {
      expect(scriptSources(res)).toEqual(["'self'", cspHash(SCRIPT)]);
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
      expect(res.headers.get("permissions-policy")).toBe(PERMISSIONS_POLICY);
      expect(res.headers.get("strict-transport-security")).toBeNull();
    }
  });

  it("a rebuilt index.html gets the hash of its new script, without a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "todo-static-sec-rebuild-"));
    try {
      writeFileSync(join(dir, "index.html"), page("window.a = 1;"));
      const base = await serve(dir);
      expect(scriptSources(await fetch(`${base}/`))).toEqual(["'self'", cspHash("window.a = 1;")]);
      writeFileSync(join(dir, "index.html"), page("window.b = 2;"));
      const later = new Date(Date.now() + 5_000);
      utimesSync(join(dir, "index.html"), later, later);
      expect(scriptSources(await fetch(`${base}/`))).toEqual(["'self'", cspHash("window.b = 2;")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("HSTS only for X-Forwarded-Proto: https from a trusted proxy", async () => {
    const untrusted = await serve(root, false);
    const trusted = await serve(root, true);
    const https = { "x-forwarded-proto": "https" };
    expect(
      (await fetch(`${untrusted}/`, { headers: https })).headers.get("strict-transport-security"),
    ).toBeNull();
    expect((await fetch(`${trusted}/`, { headers: https })).headers.get("strict-transport-security")).toBe(
      HSTS,
    );
    expect(
      (await fetch(`${trusted}/`, { headers: { "x-forwarded-proto": "http" } })).headers.get(
        "strict-transport-security",
      ),
    ).toBeNull();
  });

  it("the placeholder page's inline style is allowed by its hash", async () => {
    const empty = mkdtempSync(join(tmpdir(), "todo-static-sec-empty-"));
    try {
      const res = await fetch(`${await serve(empty)}/`);
      const html = await res.text();
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
      expect(style.length).toBeGreaterThan(0);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain(`style-src 'self' ${cspHash(style)}`);
      expect(csp).not.toContain("unsafe");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
