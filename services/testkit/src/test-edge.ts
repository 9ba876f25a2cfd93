/**
 * The edge of `start:services` (services/edge) in front of a test app, so a suite can check that
 * what it tests passes through the edge unchanged: `/mcp` and the services it names are forwarded
 * to the app; every other path gets the fallback's plain 404 with {@link TEST_EDGE_FALLBACK_TEXT}.
 */
import { type Edge, startEdge } from "@todo/edge";
import type { TestApp } from "./embedded-app";

/** The body of the edge's own 404, to tell it from an answer the app gave. */
export const TEST_EDGE_FALLBACK_TEXT = "edge fallback\n";

/** A running edge in front of an app. */
export interface TestEdge {
  /** `http://127.0.0.1:<port>` of the edge. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the edge on a free port, routing `/mcp` and each of `services` (full names) to `app`. */
export async function startTestEdge(app: TestApp, services: readonly string[] = []): Promise<TestEdge> {
  const routes = Object.fromEntries(["/mcp", ...services].map((route) => [route, app.httpUrl]));
  const edge: Edge = await startEdge({
    host: "127.0.0.1",
    port: 0,
    routes,
    fallback: (_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(TEST_EDGE_FALLBACK_TEXT);
    },
  });
  return { url: `http://127.0.0.1:${edge.port}`, port: edge.port, close: () => edge.close() };
}
