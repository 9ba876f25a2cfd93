/**
 * A client that goes away mid-request must not take the server with it (`surviveClientAborts`).
 */
import { describe, expect, test } from "bun:test";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { surviveClientAborts } from "./request-limits";

describe("a client that goes away", () => {
  test("an error its request or response emits after the handler is done does not escape", async () => {
    const seen: { req?: IncomingMessage; res?: ServerResponse } = {};
    const server = createServer((req, res) => {
      surviveClientAborts(req, res);
      seen.req = req;
      seen.res = res;
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
      // What the HTTP server does to a request whose client disconnected mid-stream: with no
      // listener, `emit("error")` throws, which in a server is an uncaught exception.
      expect(() => seen.req?.emit("error", new Error("aborted"))).not.toThrow();
      expect(() => seen.res?.emit("error", new Error("aborted"))).not.toThrow();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
