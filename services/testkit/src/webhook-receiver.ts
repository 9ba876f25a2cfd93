/**
 * Test support: a real webhook receiver (Bun.serve on 127.0.0.1, a free port) that records every
 * request — path, headers, raw body — and answers with scripted status codes, for the delivery
 * worker's unit tests and the integration tests (tests/integration/tracing.test.ts), which point a
 * channel at it (with private targets allowed).
 */

/** One request the receiver got. */
export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The requests so far, in arrival order. */
  readonly received: ReceivedWebhook[];
  /** Answers the next requests for `path` with these codes, one each; 200 once they are used up. */
  script(path: string, statuses: readonly number[]): void;
  /** Waits (every 20 ms, up to `ms`, default 15 s) for a request `pick` accepts; throws naming `what`. */
  until(what: string, pick: (r: ReceivedWebhook) => boolean, ms?: number): Promise<ReceivedWebhook>;
  /** Forgets the requests and scripts. */
  reset(): void;
  stop(): void;
}

/** Starts a receiver on 127.0.0.1. */
export function startWebhookReceiver(): WebhookReceiver {
  const received: ReceivedWebhook[] = [];
  const scripts = new Map<string, number[]>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      received.push({ path, headers: req.headers, body: await req.text(), at: Date.now() });
      const status = scripts.get(path)?.shift() ?? 200;
      return new Response(status < 300 ? "ok" : "receiver is having a bad day", { status });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    script(path, statuses) {
      scripts.set(path, [...statuses]);
    },
    async until(what, pick, ms = 15_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = received.find(pick);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${what}; got ${received.length} request(s)`);
        }
        await Bun.sleep(20);
      }
    },
    reset() {
      received.length = 0;
      scripts.clear();
    },
    stop() {
      server.stop(true);
    },
  };
}
