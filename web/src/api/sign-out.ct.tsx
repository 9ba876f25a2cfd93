/**
 * Signing out ends the session on the server (AuthService.SignOut, with the token still attached)
 * and then forgets the token here — also when the server cannot be reached, fails, or does not
 * answer in time; the sign-in page then says that the session lives on until the token expires.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { MemoryRouter, Route } from "@solidjs/router";
import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { type JSX, Show } from "solid-js";
import { afterEach, describe, expect, it } from "vitest";
import { formatFull } from "../lib/format";
import { SignInPage } from "../pages/SignIn";
import { SESSION_KEY, SessionProvider, tokenExpiry, useSession } from "./session";
import { unauthenticatedInterceptor } from "./transport";

afterEach(cleanup);

/** A token shaped like the server's (a JWT whose `exp` is 1 January 2030, 12:00 UTC). */
const EXP = Date.UTC(2030, 0, 1, 12) / 1000;
const TOKEN = `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ sub: "u1", sid: "s1", exp: EXP })).replaceAll("=", "")}.sig`;

function storeSession(storage: Storage) {
  storage.setItem(
    SESSION_KEY,
    JSON.stringify({
      token: TOKEN,
      user: { id: "u1", email: "a@example.com", displayName: "a", timeZone: "UTC" },
    }),
  );
}

/** What the fake SignOut saw. */
interface Seen {
  calls: number;
  /** The token the app held and the one in storage while SignOut ran. */
  tokenDuringCall?: string;
  storedDuringCall?: string | null;
}

/**
 * Renders the app's session with a fake AuthService whose SignOut runs `signOut`, and a page that
 * is a "Sign out" button when signed in and the real sign-in page when not.
 */
function mount(signOut: (seen: Seen) => Promise<unknown> | unknown, signOutTimeoutMs?: number) {
  const storage = window.localStorage;
  storage.clear();
  storeSession(storage);
  const seen: Seen = { calls: 0 };
  let token: () => string | undefined = () => undefined;
  function Page(): JSX.Element {
    const session = useSession();
    token = session.token;
    return (
      <Show when={session.user()} fallback={<SignInPage />}>
        <button type="button" onClick={() => session.signOut()}>
          Sign out
        </button>
      </Show>
    );
  }
  render(() => (
    <SessionProvider
      storage={storage}
      skipValidation
      signOutTimeoutMs={signOutTimeoutMs}
      createTransport={(_t, onUnauthenticated) =>
        createRouterTransport(
          (router) => {
            router.service(AuthService, {
              async signOut() {
                seen.calls++;
                seen.tokenDuringCall = token();
                seen.storedDuringCall = storage.getItem(SESSION_KEY);
                await signOut(seen);
                return { endedSessions: 1 };
              },
            });
          },
          { transport: { interceptors: [unauthenticatedInterceptor(onUnauthenticated)] } },
        )
      }
    >
      <MemoryRouter>
        <Route path="/" component={Page} />
      </MemoryRouter>
    </SessionProvider>
  ));
  return { seen, storage, signOutButton: () => screen.getByRole("button", { name: "Sign out" }) };
}

const signInShown = () => screen.findByRole("button", { name: "Sign in" });

describe("sign out", () => {
  it("reads the expiry of a token from its exp claim", () => {
    expect(tokenExpiry(TOKEN)?.toISOString()).toBe("2030-01-01T12:00:00.000Z");
    expect(tokenExpiry("not a token")).toBeUndefined();
  });

  it("asks the server to end the session while the token is still held, once, then forgets it", async () => {
    const m = mount(() => new Promise((r) => setTimeout(r, 30)));
    fireEvent.click(m.signOutButton());
    fireEvent.click(m.signOutButton());
    await signInShown();
    expect(m.seen.calls).toBe(1);
    expect(m.seen.tokenDuringCall).toBe(TOKEN);
    expect(m.seen.storedDuringCall).toContain(TOKEN);
    expect(m.storage.getItem(SESSION_KEY)).toBeNull();
    // A sign-out the server confirmed needs no words.
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("forgets the token when the server cannot be reached, and says the session lives on until it expires", async () => {
    const m = mount(() => {
      throw new ConnectError("connection refused", Code.Unavailable);
    });
    fireEvent.click(m.signOutButton());
    await signInShown();
    expect(m.seen.calls).toBe(1);
    expect(m.storage.getItem(SESSION_KEY)).toBeNull();
    const notice = screen.getByRole("status");
    expect(notice.textContent).toContain("couldn't be reached to end the session");
    expect(notice.textContent).toContain(
      formatFull(new Date(EXP * 1000), Intl.DateTimeFormat().resolvedOptions().timeZone),
    );
  });

  it("forgets the token when the server does not answer in time", async () => {
    const m = mount(() => new Promise(() => {}), 50);
    fireEvent.click(m.signOutButton());
    await signInShown();
    expect(m.storage.getItem(SESSION_KEY)).toBeNull();
    expect(screen.getByRole("status").textContent).toContain("couldn't be reached");
  });

  it("a session that had already ended is a plain sign-out, not an expired one", async () => {
    const m = mount(() => {
      throw new ConnectError("this access token's session has ended", Code.Unauthenticated);
    });
    fireEvent.click(m.signOutButton());
    await signInShown();
    expect(m.storage.getItem(SESSION_KEY)).toBeNull();
    await waitFor(() => expect(screen.queryByText(/session has ended/)).toBeNull());
    expect(screen.queryByRole("status")).toBeNull();
  });
});
