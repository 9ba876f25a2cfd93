/**
 * The header sets of security-headers.ts: the hashes of a page's inline scripts and styles, the
 * page's and the API's policies, and when HSTS is sent. Hashes are checked against SHA-256 worked
 * out here by Bun's own hasher; the browser test (tests/e2e/security-headers.e2e.ts) shows Chromium
 * accepts them on the real build.
 */
import { describe, expect, it } from "bun:test";
import type { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import {
  API_CSP,
  apiSecurityHeaders,
  contentSecurityPolicy,
  cspHash,
  documentSecurityHeaders,
  HSTS,
  inlineHashes,
  PERMISSIONS_POLICY,
  requestIsHttps,
  setSecurityHeaders,
  tlsDetectionFromEnv,
} from "./security-headers";

const sha = (text: string) => `'sha256-${new Bun.CryptoHasher("sha256").update(text).digest("base64")}'`;

/** Splits a policy into directive → sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(";").map((d) => {
      const [name = "", ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

const PAGE = `<!doctype html><html><head>
<script>
  document.documentElement.dataset.theme = "dark";
</script>
<script>(function(){window.x=1})();</script>
<!-- <script>commented out</script> -->
<script type="module" crossorigin src="/assets/index-abc.js"></script>
<style>body{margin:0}</style>
<link rel="stylesheet" href="/assets/index.css">
</head><body><div id="root"></div></body></html>`;

describe("inlineHashes", () => {
  it("hashes each inline script's text exactly, skipping scripts with src and comments", () => {
    const hashes = inlineHashes(PAGE);
    expect(hashes.scripts).toEqual([
      sha('\n  document.documentElement.dataset.theme = "dark";\n'),
      sha("(function(){window.x=1})();"),
    ]);
    expect(hashes.styles).toEqual([sha("body{margin:0}")]);
  });

  it("finds nothing in a page without inline code", () => {
    expect(inlineHashes('<script src="/a.js"></script><p>hi</p>')).toEqual({ scripts: [], styles: [] });
  });

  it("hashes non-ASCII text as UTF-8", () => {
    expect(cspHash("é")).toBe(sha("é"));
    expect(cspHash("é")).not.toBe(sha("e"));
  });
});

describe("contentSecurityPolicy", () => {
  it("allows this origin and the given hashes, never 'unsafe-inline' or 'unsafe-eval'", () => {
    const csp = contentSecurityPolicy({ scripts: ["'sha256-a'", "'sha256-a'", "'sha256-b'"], styles: [] });
    const d = directives(csp);
    expect(d.get("default-src")).toEqual(["'self'"]);
    expect(d.get("script-src")).toEqual(["'self'", "'sha256-a'", "'sha256-b'"]);
    expect(d.get("style-src")).toEqual(["'self'"]);
    expect(d.get("img-src")).toEqual(["'self'", "data:"]);
    expect(d.get("connect-src")).toEqual(["'self'"]);
    expect(d.get("object-src")).toEqual(["'none'"]);
    expect(d.get("base-uri")).toEqual(["'none'"]);
    expect(d.get("frame-ancestors")).toEqual(["'none'"]);
    expect(d.get("form-action")).toEqual(["'self'"]);
    expect(csp).not.toContain("unsafe");
  });

  it("requires Trusted Types for scripts, allowing the app's default policy and DOMPurify's only", () => {
    const d = directives(contentSecurityPolicy({ scripts: [], styles: [] }));
    expect(d.get("require-trusted-types-for")).toEqual(["'script'"]);
    expect(d.get("trusted-types")).toEqual(["default", "dompurify"]);
    expect(d.get("trusted-types")).not.toContain("'allow-duplicates'");
    // The API's policy runs nothing at all, so it needs no Trusted Types.
    expect(directives(API_CSP).has("trusted-types")).toBe(false);
  });
});

describe("header sets", () => {
  it("the page's set: its policy with the page's hashes, COOP, Permissions-Policy, nosniff", () => {
    const h = documentSecurityHeaders(PAGE);
    const d = directives(h["content-security-policy"] ?? "");
    expect(d.get("script-src")).toEqual(["'self'", ...inlineHashes(PAGE).scripts]);
    expect(d.get("style-src")).toEqual(["'self'", sha("body{margin:0}")]);
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("no-referrer");
    expect(h["cross-origin-opener-policy"]).toBe("same-origin");
    expect(h["cross-origin-resource-policy"]).toBe("same-origin");
    expect(h["permissions-policy"]).toBe(PERMISSIONS_POLICY);
    expect(h["strict-transport-security"]).toBeUndefined();
  });

  it("Permissions-Policy turns features off, and not the ones the app uses", () => {
    for (const entry of PERMISSIONS_POLICY.split(", ")) expect(entry).toMatch(/^[a-z-]+=\(\)$/);
    expect(PERMISSIONS_POLICY).toContain("camera=()");
    expect(PERMISSIONS_POLICY).toContain("geolocation=()");
    expect(PERMISSIONS_POLICY).not.toContain("notifications");
  });

  it("the API set: nosniff, no referrer, a policy that allows nothing", () => {
    expect(apiSecurityHeaders()).toEqual({
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cross-origin-resource-policy": "same-origin",
      "content-security-policy": API_CSP,
    });
    expect(directives(API_CSP).get("default-src")).toEqual(["'none'"]);
    expect(directives(API_CSP).get("frame-ancestors")).toEqual(["'none'"]);
  });
});

/** A request with the given headers on a plain or a TLS socket (never connected). */
function request(headers: Record<string, string | string[]>, encrypted = false): IncomingMessage {
  const socket = encrypted ? new TLSSocket(new Socket()) : new Socket();
  return { headers, socket } as unknown as IncomingMessage;
}

describe("HSTS", () => {
  const trusted = { trustForwardedProto: true };
  const untrusted = { trustForwardedProto: false };

  it("on a TLS socket, whatever the setting", () => {
    expect(requestIsHttps(request({}, true), untrusted)).toBe(true);
    expect(requestIsHttps(request({}, true), trusted)).toBe(true);
  });

  it("X-Forwarded-Proto counts only from a trusted proxy, and only its first hop", () => {
    expect(requestIsHttps(request({ "x-forwarded-proto": "https" }), untrusted)).toBe(false);
    expect(requestIsHttps(request({ "x-forwarded-proto": "https" }), trusted)).toBe(true);
    expect(requestIsHttps(request({ "x-forwarded-proto": "HTTPS, http" }), trusted)).toBe(true);
    expect(requestIsHttps(request({ "x-forwarded-proto": "http, https" }), trusted)).toBe(false);
    expect(requestIsHttps(request({ "x-forwarded-proto": "http" }), trusted)).toBe(false);
    expect(requestIsHttps(request({}), trusted)).toBe(false);
  });

  it("setSecurityHeaders adds it to the set only over TLS", () => {
    const sent = (req: IncomingMessage) => {
      const out = new Map<string, string>();
      setSecurityHeaders(req, { setHeader: (n, v) => out.set(n, v) }, apiSecurityHeaders(), trusted);
      return out;
    };
    const plain = sent(request({}));
    expect(plain.get("x-content-type-options")).toBe("nosniff");
    expect(plain.has("strict-transport-security")).toBe(false);
    expect(sent(request({ "x-forwarded-proto": "https" })).get("strict-transport-security")).toBe(HSTS);
  });
});

describe("TRUST_FORWARDED_PROTO", () => {
  it("is read as a boolean, and a malformed value names the variable", () => {
    const saved = process.env.TRUST_FORWARDED_PROTO;
    try {
      delete process.env.TRUST_FORWARDED_PROTO;
      expect(tlsDetectionFromEnv()).toEqual({ trustForwardedProto: false });
      process.env.TRUST_FORWARDED_PROTO = "true";
      expect(tlsDetectionFromEnv()).toEqual({ trustForwardedProto: true });
      process.env.TRUST_FORWARDED_PROTO = "maybe";
      expect(() => tlsDetectionFromEnv()).toThrow(/TRUST_FORWARDED_PROTO must be true or false/);
    } finally {
      if (saved === undefined) delete process.env.TRUST_FORWARDED_PROTO;
      else process.env.TRUST_FORWARDED_PROTO = saved;
    }
  });
});
