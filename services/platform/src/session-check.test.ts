import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createTokenService, type Principal } from "./auth";
import { remoteSessionCheck, type SessionCheck, withSessionCheck } from "./session-check";

const signer = createTokenService({
  secret: "session-check-test-secret-0123456789-abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 600,
});
const ada: Principal = {
  userId: "0190f0c2-0000-7000-8000-00000000000a",
  email: "ada@example.com",
  timeZone: "UTC",
  sessionId: "s1",
};

/** A check answering from `live` (the session ids still valid), counting the questions. */
function sessionsIn(live: Set<string>) {
  const state = { asked: 0, down: false };
  const check: SessionCheck = async (principal) => {
    state.asked++;
    await Bun.sleep(5);
    if (state.down) throw new Error("identity unreachable");
    return live.has(principal.sessionId ?? "");
  };
  return { check, state };
}

async function code(p: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe("withSessionCheck", () => {
  test("the session id travels in the token as `sid`", async () => {
    const { token } = await signer.issue(ada);
    expect((await signer.verify(token)).sessionId).toBe("s1");
    const { token: plain } = await signer.issue({ ...ada, sessionId: undefined });
    expect((await signer.verify(plain)).sessionId).toBeUndefined();
  });

  test("answers are cached for the TTL; an ended session is refused once it runs out", async () => {
    const live = new Set(["s1"]);
    const { check, state } = sessionsIn(live);
    const tokens = withSessionCheck(signer, check, { ttlMs: 200, staleMs: 0 });
    const { token } = await signer.issue(ada);
    // Concurrent verifications share one question.
    await Promise.all(Array.from({ length: 20 }, () => tokens.verify(token)));
    expect(state.asked).toBe(1);
    live.delete("s1");
    expect(await code(tokens.verify(token))).toBe("ok");
    expect(state.asked).toBe(1);
    await Bun.sleep(250);
    expect(await code(tokens.verify(token))).toBe(Code.Unauthenticated);
    expect(state.asked).toBe(2);
  });

  test("forget drops the cached answer at once", async () => {
    const live = new Set(["s1"]);
    const { check } = sessionsIn(live);
    const tokens = withSessionCheck(signer, check, { ttlMs: 60_000, staleMs: 0 });
    const { token } = await signer.issue(ada);
    await tokens.verify(token);
    live.clear();
    tokens.forget?.(token);
    expect(await code(tokens.verify(token))).toBe(Code.Unauthenticated);
  });

  test("identity down: a recently valid token still passes, an unknown one is UNAVAILABLE", async () => {
    const { check, state } = sessionsIn(new Set(["s1", "s2"]));
    const tokens = withSessionCheck(signer, check, { ttlMs: 0, staleMs: 60_000 });
    const { token: known } = await signer.issue(ada);
    await tokens.verify(known);
    state.down = true;
    expect(await code(tokens.verify(known))).toBe("ok");
    const { token: unknown } = await signer.issue({ ...ada, sessionId: "s2" });
    expect(await code(tokens.verify(unknown))).toBe(Code.Unavailable);
  });

  test("a bad signature never reaches the check", async () => {
    const { check, state } = sessionsIn(new Set(["s1"]));
    const tokens = withSessionCheck(signer, check, { ttlMs: 0, staleMs: 0 });
    const { token } = await signer.issue(ada);
    await expect(tokens.verify(`${token.slice(0, -4)}AAAA`)).rejects.toThrow();
    expect(state.asked).toBe(0);
  });
});

describe("remoteSessionCheck", () => {
  test("UNAUTHENTICATED from identity means ended; other errors mean cannot tell", async () => {
    const answers: unknown[] = [
      {},
      new ConnectError("gone", Code.Unauthenticated),
      new ConnectError("down", Code.Unavailable),
    ];
    const seen: string[] = [];
    const check = remoteSessionCheck({
      getCurrentUser: (async (_req: unknown, options?: { headers?: HeadersInit }) => {
        seen.push(new Headers(options?.headers).get("authorization") ?? "");
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer;
      }) as never,
    });
    expect(await check(ada, "tok")).toBe(true);
    expect(await check(ada, "tok")).toBe(false);
    await expect(check(ada, "tok")).rejects.toThrow("down");
    expect(seen).toEqual(["Bearer tok", "Bearer tok", "Bearer tok"]);
  });
});
