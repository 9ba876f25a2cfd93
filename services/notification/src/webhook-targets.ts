/**
 * Which webhook targets the server may call. A webhook URL is chosen by a user, so without a check it
 * would let anyone make the server send requests into its own network (SSRF): loopback, private
 * ranges, link-local (including the cloud metadata address 169.254.169.254), unique-local IPv6 and
 * the like are refused. Only globally routable unicast addresses pass (per `ipaddr.js`'s range
 * table, IPv4-mapped IPv6 read as IPv4, and IPv6 only inside 2000::/3). A host name is resolved
 * with `dns.lookup` and every address it yields must pass — at CreateChannel and again right before
 * each send, where the checked addresses are pinned for the connection so a DNS answer that changes
 * in between (rebinding) cannot redirect the request. `allowPrivateTargets` (tests, a trusted
 * network) turns the address checks off.
 */
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

/** The longest webhook URL accepted. */
export const MAX_WEBHOOK_URL = 2048;

/** Host names refused whatever they resolve to (cloud metadata services). */
const BLOCKED_HOST_NAMES = new Set(["metadata", "metadata.google.internal", "metadata.goog"]);

/** An address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** The problem with the syntax of a webhook URL, or undefined when it is fine. */
export function webhookUrlProblem(raw: string): string | undefined {
  const text = raw.trim();
  if (text === "") return "is required";
  if (text.length > MAX_WEBHOOK_URL) return `must be at most ${MAX_WEBHOOK_URL} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "must be an absolute https:// URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an https:// URL";
  if (url.hostname === "") return "must name a host";
  if (url.username !== "" || url.password !== "") {
    return "must not carry credentials; authenticate the request with the signature header instead";
  }
  return undefined;
}

/** The host of `url` without IPv6 brackets or a trailing dot, lower-cased. */
export function hostOf(url: URL): string {
  let host = url.hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return host.endsWith(".") ? host.slice(0, -1) : host;
}

/**
 * Why `address` must not be called, or undefined when it is a globally routable unicast address.
 * IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address they carry.
 */
export function addressProblem(address: string): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return `${address} is not an IP address`;
  }
  const range = parsed.range();
  if (range !== "unicast") return `${address} is a ${range} address`;
  if (parsed.kind() === "ipv6" && !parsed.match(ipaddr.IPv6.parse("2000::"), 3)) {
    return `${address} is not a global unicast IPv6 address`;
  }
  return undefined;
}

/** A webhook target that may not be called; the message is safe to show the user. */
export class TargetRefusedError extends Error {
  override readonly name = "TargetRefusedError";
}

/** How long resolving a webhook host may take. */
const LOOKUP_TIMEOUT_MS = 5000;

/** Every address `host` resolves to (an IP literal resolves to itself). */
export async function resolveHost(host: string): Promise<ResolvedAddress[]> {
  if (ipaddr.isValid(host)) {
    return [{ address: host, family: ipaddr.parse(host).kind() === "ipv6" ? 6 : 4 }];
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TargetRefusedError(`resolving ${host} took too long`)),
      LOOKUP_TIMEOUT_MS,
    );
  });
  try {
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    if (found.length === 0) throw new TargetRefusedError(`${host} does not resolve to any address`);
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (err) {
    if (err instanceof TargetRefusedError) throw err;
    throw new TargetRefusedError(`${host} does not resolve`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves the host of `url` and returns its addresses when every one may be called; otherwise
 * throws `TargetRefusedError` saying why. With `allowPrivate` only the resolution is required.
 */
export async function checkTarget(url: URL, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  const host = hostOf(url);
  // `localhost` itself is refused below by what it resolves to; its subdomains may not resolve here.
  if (!allowPrivate && (BLOCKED_HOST_NAMES.has(host) || host.endsWith(".localhost"))) {
    throw new TargetRefusedError(`${host} is a local or metadata host`);
  }
  const addresses = await resolveHost(host);
  if (!allowPrivate) {
    for (const a of addresses) {
      const problem = addressProblem(a.address);
      if (problem) throw new TargetRefusedError(`${host} resolves to ${problem}`);
    }
  }
  return addresses;
}
