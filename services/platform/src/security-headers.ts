/**
 * The security headers of every HTTP response, in one place for both servers that answer browsers:
 * `bun start`'s HTTP/1.1 listener (server.ts, static-web.ts) and the edge of `start:services` /
 * `start:dapr` (services/edge). docs/security.md explains each header and why it has its value.
 *
 * Two sets:
 * - {@link apiSecurityHeaders}, on every response (RPCs, `/mcp`, health, errors): `nosniff`, no
 *   referrer, a Content-Security-Policy that allows nothing (`default-src 'none'`), so a JSON body
 *   opened as a page runs nothing and can be framed by no one, and `Cross-Origin-Resource-Policy:
 *   same-origin`, so no other site can load an answer as an image or script.
 * - {@link documentSecurityHeaders}, on what the web app's handler serves: the same, with the page's
 *   policy instead — scripts and styles from this origin only, the inline `<script>`s of the built
 *   index.html allowed by their SHA-256 hashes (computed from the file as it is served, so a rebuild
 *   needs no configuration and `'unsafe-inline'` is never needed), plus `Cross-Origin-Opener-Policy`
 *   and a `Permissions-Policy` that turns off the powerful features the app does not use. The page's
 *   policy also requires Trusted Types for every script sink (`require-trusted-types-for 'script'`)
 *   and names the policies the app may create ({@link TRUSTED_TYPES_POLICIES}).
 *
 * `Strict-Transport-Security` is added only when the request came over TLS: its socket is
 * encrypted, or — when `TRUST_FORWARDED_PROTO` is true, because a TLS-terminating proxy in front
 * sets it — its `X-Forwarded-Proto` is `https`. Without that setting the header is ignored, since
 * any client could send it.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { envBool } from "./config";

/** A header set: lower-case name → value. */
export type HeaderSet = Readonly<Record<string, string>>;

/** How the servers decide a request came over TLS. */
export interface TlsDetection {
  /**
   * Believe `X-Forwarded-Proto: https` (set only when every request passes a proxy that overwrites
   * the header, such as an ingress terminating TLS). Default false: `TRUST_FORWARDED_PROTO`.
   */
  readonly trustForwardedProto: boolean;
}

/** Reads {@link TlsDetection} from `TRUST_FORWARDED_PROTO` (true/false, default false). */
export function tlsDetectionFromEnv(): TlsDetection {
  return { trustForwardedProto: envBool("TRUST_FORWARDED_PROTO", false) };
}

/** HSTS for a year, for this host only: subdomains may be other services this app cannot vouch for. */
export const HSTS = "max-age=31536000";

/**
 * Powerful features the app never uses, turned off for the page and anything it could embed. Only
 * names Chromium knows: an unknown one is a console error on every load. Notifications are not
 * a policy-controlled feature; the app asks for them with `Notification.requestPermission()`.
 */
export const PERMISSIONS_POLICY = [
  "accelerometer",
  "autoplay",
  "bluetooth",
  "camera",
  "display-capture",
  "encrypted-media",
  "fullscreen",
  "geolocation",
  "gyroscope",
  "hid",
  "idle-detection",
  "magnetometer",
  "microphone",
  "midi",
  "payment",
  "picture-in-picture",
  "publickey-credentials-get",
  "screen-wake-lock",
  "serial",
  "usb",
  "xr-spatial-tracking",
]
  .map((feature) => `${feature}=()`)
  .join(", ");

/** The headers of every response, whatever it is. */
const COMMON: HeaderSet = {
  "x-content-type-options": "nosniff",
  // The app's URLs carry searches and filters (`/?q=…`): nothing of them leaves with a request.
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
};

/** The policy of responses that are not the web app: nothing may run, load or frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The `'sha256-…'` source expression of an inline script's or style's text. */
export function cspHash(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** The hashes of the inline `<script>` and `<style>` elements of a page, in document order. */
export interface InlineHashes {
  readonly scripts: readonly string[];
  readonly styles: readonly string[];
}

/**
 * Finds the inline scripts (a `<script>` without `src`) and `<style>` elements of `html` and hashes
 * their text exactly as written, which is what the browser hashes. Comments are skipped, so a
 * commented-out element is not allowed. Built pages only: the text of a script may not contain
 * `</script` (the build checks that, web/vite.config.ts).
 */
export function inlineHashes(html: string): InlineHashes {
  const page = html.replace(/<!--[\s\S]*?-->/g, "");
  const scripts: string[] = [];
  const styles: string[] = [];
  for (const m of page.matchAll(/<(script|style)\b([^>]*)>([\s\S]*?)<\/\1\s*>/gi)) {
    const [, tag = "", attrs = "", text = ""] = m;
    if (tag.toLowerCase() === "style") styles.push(cspHash(text));
    else if (!/\ssrc\s*=/i.test(` ${attrs}`)) scripts.push(cspHash(text));
  }
  return { scripts, styles };
}

/**
 * The Trusted Types policies the page may create: `default`, the app's (web/src/trusted-types.ts),
 * which every string written to an HTML sink passes through, and `dompurify`, the sanitizer's own.
 * Each may be created once (no `'allow-duplicates'`), so a script that got in cannot make a second
 * `default` of its own.
 */
export const TRUSTED_TYPES_POLICIES = ["default", "dompurify"] as const;

/**
 * The Content-Security-Policy of a page with the given inline hashes. `img-src data:` is for the
 * favicon (a `data:` SVG in index.html); `connect-src 'self'` covers every RPC, WatchTasks and the
 * notification stream, which go to this origin only. Fonts, manifests and workers fall under
 * `default-src 'self'`.
 */
export function contentSecurityPolicy(hashes: InlineHashes): string {
  const unique = (list: readonly string[]) => [...new Set(list)];
  return [
    "default-src 'self'",
    ["script-src 'self'", ...unique(hashes.scripts)].join(" "),
    ["style-src 'self'", ...unique(hashes.styles)].join(" "),
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    // Trusted Types (docs/security.md): no string reaches an HTML or script sink except through the
    // app's `default` policy (web/src/trusted-types.ts: DOMPurify, no scripts) or DOMPurify's own.
    "require-trusted-types-for 'script'",
    `trusted-types ${TRUSTED_TYPES_POLICIES.join(" ")}`,
  ].join("; ");
}

/** The headers of every response that is not the web app (see the module comment). */
export function apiSecurityHeaders(): HeaderSet {
  return { ...COMMON, "content-security-policy": API_CSP };
}

/** The headers of the web app's responses, for the page `html` (the built index.html). */
export function documentSecurityHeaders(html: string): HeaderSet {
  return {
    ...COMMON,
    "content-security-policy": contentSecurityPolicy(inlineHashes(html)),
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": PERMISSIONS_POLICY,
  };
}

/**
 * Whether `req` came over TLS: an encrypted socket, or (trusted) `X-Forwarded-Proto: https`. A
 * proxy chain's header lists each hop (`https, http`): the first is what the client used.
 */
export function requestIsHttps(req: IncomingMessage | Http2ServerRequest, tls: TlsDetection): boolean {
  if ((req.socket as { encrypted?: boolean } | undefined)?.encrypted) return true;
  if (!tls.trustForwardedProto) return false;
  const header = req.headers["x-forwarded-proto"];
  const first = (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim().toLowerCase();
  return first === "https";
}

/** Anything with `setHeader`: an HTTP/1.1 or HTTP/2 response. */
interface HeaderTarget {
  setHeader(name: string, value: string): unknown;
}

/**
 * Sets `headers` on `res` (with `setHeader`, so a later `writeHead` with the same name still wins),
 * and HSTS when the request came over TLS.
 */
export function setSecurityHeaders(
  req: IncomingMessage | Http2ServerRequest,
  res: HeaderTarget,
  headers: HeaderSet,
  tls: TlsDetection,
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (requestIsHttps(req, tls)) res.setHeader("strict-transport-security", HSTS);
}
