import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { cleanup, render } from "@solidjs/testing-library";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { afterEach, describe, expect, it } from "vitest";
import { createFirstScreen, FirstScreenProvider } from "../state/first-screen";
import { keepStreaming } from "./live";
import { SESSION_KEY, type Session, SessionProvider, useSession } from "./session";
import { unauthenticatedInterceptor, useClient } from "./transport";

afterEach(cleanup);

/** A fake API: AuthService accepts one password; TaskService.GetTask wants the token "good". */
function fakeApi(token: () => string | undefined, onUnauthenticated: () => void) {
  return createRouterTransport(
    (router) => {
      router.service(AuthService, {
        signIn: (req) => {
          if (req.password !== "right password")
            throw new ConnectError("wrong e-mail or password", Code.Unauthenticated);
          return { accessToken: "good", user: { id: "u1", email: req.email, timeZone: "Asia/Tokyo" } };
        },
        signUp: (req) => ({
          accessToken: "good",
          user: { id: "u2", email: req.email, timeZone: req.timeZone },
        }),
        getCurrentUser: () => ({ user: { id: "u1", email: "a@example.com", timeZone: "Asia/Tokyo" } }),
      });
      router.service(TaskService, {
        getTask: () => {
          if (token() !== "good") throw new ConnectError("token expired", Code.Unauthenticated);
          throw new ConnectError("no such task", Code.NotFound);
        },
      });
    },
    { transport: { interceptors: [unauthenticatedInterceptor(onUnauthenticated)] } },
  );
}

function mount(storage: Storage) {
  let session!: Session;
  let tasks!: ReturnType<typeof useClient<typeof TaskService>>;
  function Probe() {
    session = useSession();
    tasks = useClient(TaskService);
    return <p>{session.user()?.email ?? "signed out"}</p>;
  }
  const view = render(() => (
    <SessionProvider storage={storage} skipValidation createTransport={(t, u) => fakeApi(t, u)}>
      <Probe />
    </SessionProvider>
  ));
  return { view, session: () => session, tasks: () => tasks };
}

describe("session", () => {
  it("signs in, keeps the token in storage, and survives a remount", async () => {
    const storage = window.localStorage;
    storage.clear();
    const a = mount(storage);
    await expect(a.session().signIn("a@example.com", "wrong")).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    // A wrong password is not a lost session.
    expect(a.session().signOutReason()).toBeUndefined();
    await a.session().signIn(" a@example.com ", "right password");
    expect(a.session().user()).toMatchObject({ email: "a@example.com", timeZone: "Asia/Tokyo" });
    expect(JSON.parse(storage.getItem(SESSION_KEY) ?? "{}").token).toBe("good");
    cleanup();
    const b = mount(storage);
    expect(b.session().token()).toBe("good");
    expect(b.view.container.textContent).toBe("a@example.com");
  });

  it("signs out when any call answers UNAUTHENTICATED", async () => {
    const storage = window.localStorage;
    storage.setItem(
      SESSION_KEY,
      JSON.stringify({
        token: "stale",
        user: { id: "u1", email: "a@example.com", displayName: "a", timeZone: "UTC" },
      }),
    );
    const m = mount(storage);
    expect(m.session().user()?.email).toBe("a@example.com");
    await expect(m.tasks().getTask({ id: "x" })).rejects.toMatchObject({ code: Code.Unauthenticated });
    expect(m.session().user()).toBeUndefined();
    expect(m.session().signOutReason()).toBe("expired");
    expect(storage.getItem(SESSION_KEY)).toBeNull();
    expect(m.view.container.textContent).toBe("signed out");
  });

  it("signs up in the browser's time zone", async () => {
    window.localStorage.clear();
    const m = mount(window.localStorage);
    await m.session().signUp("new@example.com", "long enough");
    expect(m.session().user()?.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

describe("session check", () => {
  it("asks GetCurrentUser only once the first screen is shown, then refreshes the stored user", async () => {
    const storage = window.localStorage;
    storage.setItem(
      SESSION_KEY,
      JSON.stringify({
        token: "good",
        user: { id: "u1", email: "a@example.com", displayName: "a", timeZone: "UTC" },
      }),
    );
    let asked = 0;
    const transport = createRouterTransport((router) => {
      router.service(AuthService, {
        getCurrentUser: () => {
          asked++;
          return { user: { id: "u1", email: "a@example.com", timeZone: "Asia/Tokyo" } };
        },
      });
    });
    const gate = createFirstScreen(10_000);
    let session!: Session;
    function Probe() {
      session = useSession();
      return null;
    }
    render(() => (
      <FirstScreenProvider value={gate}>
        <SessionProvider storage={storage} createTransport={() => transport}>
          <Probe />
        </SessionProvider>
      </FirstScreenProvider>
    ));
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toBe(0);
    expect(session.timeZone()).toBe("UTC");
    gate.shown();
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBe(1);
    expect(session.timeZone()).toBe("Asia/Tokyo");
  });
});

describe("keepStreaming", () => {
  it("reconnects after a drop, says so, and stops on a fatal error", async () => {
    let opened = 0;
    const got: number[] = [];
    const states: string[] = [];
    let reconnected = 0;
    await new Promise<void>((done) => {
      keepStreaming<number>({
        minDelay: 1,
        async *open(_signal, connected) {
          opened++;
          connected();
          if (opened === 1) {
            yield 1;
            throw new ConnectError("network lost", Code.Unavailable);
          }
          if (opened === 2) {
            yield 2;
            return; // the server closed the stream
          }
          throw new ConnectError("token expired", Code.Unauthenticated);
        },
        onMessage: (m) => got.push(m),
        onReconnected: () => reconnected++,
        onState: (s) => {
          states.push(s);
          if (s === "stopped") done();
        },
        isFatal: (err) => err instanceof ConnectError && err.code === Code.Unauthenticated,
      });
    });
    expect(opened).toBe(3);
    expect(got).toEqual([1, 2]);
    expect(reconnected).toBe(2);
    expect(states[0]).toBe("connecting");
    expect(states).toContain("retrying");
    expect(states.at(-1)).toBe("stopped");
  });

  it("counts a stream that neither fails nor answers as connected after a while", async () => {
    const states: string[] = [];
    let reconnected = 0;
    let opened = 0;
    const stop = keepStreaming<number>({
      minDelay: 1,
      assumeConnectedAfter: 20,
      open(signal) {
        opened++;
        const first = opened === 1;
        return {
          async *[Symbol.asyncIterator]() {
            // The first attempt is refused at once; the second hangs like a server holding its headers.
            if (first) throw new ConnectError("connection refused", Code.Unavailable);
            await new Promise<void>((_, reject) =>
              signal.addEventListener("abort", () => reject(new Error("aborted"))),
            );
          },
        };
      },
      onMessage: () => {},
      onState: (s) => states.push(s),
      onReconnected: () => reconnected++,
    });
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(states).toContain("live");
    // The first attempt never connected, so the second is a first connection, not a reconnection.
    expect(reconnected).toBe(0);
    expect(opened).toBe(2);
  });

  it("gives up a silent connection after the idle timeout", async () => {
    let opened = 0;
    const stop = keepStreaming<number>({
      minDelay: 1,
      idleTimeout: 20,
      open(signal) {
        opened++;
        return {
          async *[Symbol.asyncIterator]() {
            await new Promise<void>((_, reject) =>
              signal.addEventListener("abort", () => reject(new Error("aborted"))),
            );
          },
        };
      },
      onMessage: () => {},
    });
    await new Promise((r) => setTimeout(r, 120));
    stop();
    expect(opened).toBeGreaterThanOrEqual(2);
  });
});
