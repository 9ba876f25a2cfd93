/**
 * Signing out in the app ends the session on the server (AuthService.SignOut), not only in the
 * browser: the token the page held — read from its storage before signing out — is refused by the
 * API with UNAUTHENTICATED. Under `bun start` every service checks sessions in-process through one
 * cache, which SignOut clears for that token (services/embedded/src/app.ts, docs/identity.md), so
 * the refusal is immediate, not only within the cache's 30 s. When SignOut cannot reach the
 * server the token is still forgotten here, and the sign-in page says the session lives on.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Page } from "playwright-core";
import { clients, signUpApi } from "./lib/api.ts";
import { emailBox, signInUi } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

/** The access token the page keeps in localStorage (api/stored-session.ts). */
async function storedToken(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const raw = localStorage.getItem("todo.session");
    return raw ? (JSON.parse(raw) as { token?: string }).token : undefined;
  });
}

/** A new user signed in through the form, and the token the page keeps for them. */
async function signedIn() {
  const { server } = await e2e();
  const user = await signUpApi(server.grpcUrl);
  const page = await newPage();
  await signInUi(page, user.email);
  const token = await storedToken(page);
  if (!token) throw new Error("the page keeps no token after signing in");
  return { server, user, page, token };
}

/** The Connect code a ListTasks call with `token` fails with, or "ok". */
async function listWith(grpcUrl: string, token: string): Promise<Code | "ok"> {
  try {
    await clients(grpcUrl, token).tasks.listTasks({ pageSize: 1 });
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe("signing out", () => {
  test("ends the session on the server: the old token is refused with UNAUTHENTICATED at once", async () => {
    const { server, user, page, token } = await signedIn();
    expect(await listWith(server.grpcUrl, token)).toBe("ok");

    const signOut = page.waitForResponse((r) => r.url().endsWith("/todo.identity.v1.AuthService/SignOut"));
    await page.getByRole("button", { name: "Sign out" }).click();
    expect((await signOut).status()).toBe(200);
    await emailBox(page).waitFor({ state: "visible" });
    expect(await storedToken(page)).toBeUndefined();

    // One try, no waiting: the in-process check forgot this token when SignOut ended its session.
    const refusedAfter = performance.now();
    expect(await listWith(server.grpcUrl, token)).toBe(Code.Unauthenticated);
    const err = await clients(server.grpcUrl, token)
      .auth.getCurrentUser({})
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect((err as ConnectError).rawMessage).toMatch(/session has ended/);
    console.log(
      `old token refused ${Math.round(performance.now() - refusedAfter)} ms after the sign-in page showed`,
    );
    // Another session of the same account (an API client) is not signed out.
    expect(await listWith(server.grpcUrl, user.token)).toBe("ok");
  });

  test("with the server out of reach it still forgets the token, and says the session lives on", async () => {
    const { server, page, token } = await signedIn();

    await page.route("**/todo.identity.v1.AuthService/SignOut", (route) => route.abort("connectionrefused"));
    await page.getByRole("button", { name: "Sign out" }).click();
    await emailBox(page).waitFor({ state: "visible" });
    expect(await storedToken(page)).toBeUndefined();
    const notice = page.getByRole("status").filter({ hasText: "couldn't be reached to end the session" });
    await notice.waitFor({ state: "visible" });
    // The date the token expires (7 days from now by default), in words.
    expect(await notice.textContent()).toMatch(/until \w+day, \d{1,2} \w+ \d{4} at \d{2}:\d{2}/);
    // Honest about it: the server never heard, so the token still works until it expires.
    expect(await listWith(server.grpcUrl, token)).toBe("ok");
  });
});
