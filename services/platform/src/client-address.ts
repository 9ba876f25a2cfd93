/**
 * The client's network address, for per-address limits (identity's sign-in rate limits). The server
 * puts the address of the TCP connection into every request's context values; behind proxies that
 * is the proxy's address, so `X-Forwarded-For` is read too, but only as far as a setting says the
 * proxies in front can be trusted: `TRUSTED_PROXY_HOPS` = how many proxies, each of which appends
 * the address it received the request from (the edge of `start:services` and `start:dapr` does; an
 * Envoy or nginx gateway does). Entries further left were written by the client and prove nothing.
 * With 0 hops (the default) the header is ignored, so nobody can choose their own address.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { type ContextValues, createContextKey, createContextValues } from "@connectrpc/connect";
import { envInt } from "./config";

/** Where the server leaves the address of the connection a request came on. */
export const connectionAddressKey = createContextKey<string | undefined>(undefined, {
  description: "connection address",
});

/** Context values carrying the connection address of `req` (connect-node's `contextValues` option). */
export function connectionContextValues(req: IncomingMessage | Http2ServerRequest): ContextValues {
  return createContextValues().set(connectionAddressKey, normalizeAddress(req.socket?.remoteAddress));
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) → `1.2.3.4`; blanks → undefined. */
export function normalizeAddress(address: string | undefined): string | undefined {
  const a = address?.trim();
  if (!a) return undefined;
  return a.toLowerCase().startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a.toLowerCase();
}

/** `TRUSTED_PROXY_HOPS`: how many proxies in front of this server append to `X-Forwarded-For`. */
export function trustedProxyHopsFromEnv(): number {
  return envInt("TRUSTED_PROXY_HOPS", 0, 0, 10);
}

/**
 * The client's address: the connection's address when `trustedHops` is 0; else the address the
 * outermost trusted proxy saw, `hops` entries from the right of `X-Forwarded-For` (fewer entries:
 * the leftmost). Undefined when the request did not come over a connection (an in-process call).
 */
export function clientAddress(
  values: ContextValues,
  headers: Headers,
  trustedHops: number,
): string | undefined {
  const connection = values.get(connectionAddressKey);
  if (connection === undefined || trustedHops === 0) return connection;
  const forwarded = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => normalizeAddress(s))
    .filter((s): s is string => s !== undefined);
  // The chain, nearest first: the connection, then each proxy's view from the right.
  const chain = [connection, ...forwarded.reverse()];
  return chain[Math.min(trustedHops, chain.length - 1)];
}
