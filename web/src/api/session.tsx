/**
 * The signed-in session: the access token and the user, kept in localStorage so a reload (or a
 * second window) stays signed in. On start the cached user is shown at once and the token is checked
 * with `AuthService.GetCurrentUser` in the background; an UNAUTHENTICATED answer to any call signs
 * out. Signing out ends the session on the server (`AuthService.SignOut`, so the token stops working
 * everywhere: docs/identity.md) and then forgets the token here, whether or not the server answered.
 * Provides the app's one transport (with the token on every call) to everything below.
 */
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import type { User } from "@todo/gen/todo/identity/v1/user_pb";
import {
  type Accessor,
  createContext,
  createSignal,
  type JSX,
  onCleanup,
  onMount,
  useContext,
} from "solid-js";
import { isValidTimeZone } from "../lib/format";
import { useFirstScreen } from "../state/first-screen";
import { readStoredSession, SESSION_KEY, type SessionUser, type StoredSession } from "./stored-session";
import { createAppTransport, lazyClient, TransportProvider } from "./transport";

export { SESSION_KEY, type SessionUser };

/**
 * Why the last sign-out happened, for the sign-in page to explain: the person signed out
 * (`user`), the server refused the token (`expired`), or the person signed out but the server could
 * not be told (`not-ended`: unreachable or failing), so the session — though its token is gone from
 * this browser — lives on until the token expires.
 */
export type SignOutReason = "user" | "expired" | "not-ended";

/** How long a sign-out waits for the server before forgetting the token anyway. */
export const SIGN_OUT_TIMEOUT_MS = 5000;

/** What components get from {@link useSession}. */
export interface Session {
  /** The signed-in user, or undefined. */
  readonly user: Accessor<SessionUser | undefined>;
  /** The current access token (undefined when signed out). */
  readonly token: Accessor<string | undefined>;
  /** The account's time zone — the one the server reads `today` and dates in. */
  readonly timeZone: Accessor<string>;
  /** The first day of the account's week, ISO numbering (1 Monday … 7 Sunday). */
  readonly weekStart: Accessor<number>;
  /**
   * Changes the account's display name, time zone or week start (`AuthService.UpdateUser`) and
   * switches to the fresh token it answers with (which carries the new values). Rejects with the API
   * error (INVALID_ARGUMENT naming the field).
   */
  updateProfile(changes: ProfileChanges): Promise<void>;
  /** Why the last sign-out happened, if one did in this window. */
  readonly signOutReason: Accessor<SignOutReason | undefined>;
  /** After a `not-ended` sign-out: when the token would have expired (from its `exp` claim). */
  readonly notEndedUntil: Accessor<Date | undefined>;
  /** Signs in; rejects with the API error (UNAUTHENTICATED for a wrong e-mail or password). */
  signIn(email: string, password: string): Promise<void>;
  /** Creates an account in the browser's time zone and signs in; ALREADY_EXISTS for a used e-mail. */
  signUp(email: string, password: string): Promise<void>;
  /**
   * Signs out. A person's sign-out (`user`, the default) first asks the server to end the session
   * (waiting at most {@link SIGN_OUT_TIMEOUT_MS}); then, answered or not, the token is forgotten here
   * and in every other window of this browser. `expired` only forgets it. Calls made while one is
   * under way share it.
   */
  signOut(reason?: SignOutReason): Promise<void>;
}

/** The profile fields {@link Session.updateProfile} changes; absent ones stay as they are. */
export interface ProfileChanges {
  readonly displayName?: string;
  readonly timeZone?: string;
  readonly weekStart?: number;
}

/** The `update_mask` paths of `changes`. */
export function profileMask(changes: ProfileChanges): string[] {
  const paths: string[] = [];
  if (changes.displayName !== undefined) paths.push("display_name");
  if (changes.timeZone !== undefined) paths.push("time_zone");
  if (changes.weekStart !== undefined) paths.push("week_start");
  return paths;
}

/** When `token` (a JWT) expires, from its `exp` claim; undefined when it cannot be read. */
export function tokenExpiry(token: string): Date | undefined {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** The browser's IANA time zone, or UTC when it cannot say. */
export function browserTimeZone(): string {
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return tz && isValidTimeZone(tz) ? tz : "UTC";
  } catch {
    return "UTC";
  }
}

function toSessionUser(u: User | undefined, fallbackEmail = ""): SessionUser {
  return {
    id: u?.id ?? "",
    email: u?.email ?? fallbackEmail,
    displayName: u?.displayName || (u?.email ?? fallbackEmail).split("@")[0] || "",
    timeZone: u?.timeZone || "UTC",
    weekStart: u?.weekStart || 1,
  };
}

/**
 * AuthService's generated code, loaded on first use: a signed-in first screen never needs it
 * before the session check, which waits for that screen anyway. The sign-in page asks for it
 * when it shows ({@link preloadAuthService}), so a click never waits for it.
 */
function loadAuthService() {
  return import("@todo/gen/todo/identity/v1/auth_service_pb").then((m) => m.AuthService);
}

/** Starts loading what signing in and up need (the sign-in page calls it when it shows). */
export function preloadAuthService(): void {
  void loadAuthService().catch(() => {});
}

const SessionContext = createContext<Session>();

/** Props of {@link SessionProvider}; the options exist for tests. */
export interface SessionProviderProps {
  children: JSX.Element;
  /** Builds the transport (default: Connect to this origin). */
  createTransport?: (token: () => string | undefined, onUnauthenticated: () => void) => Transport;
  /** Where the session is kept (default: localStorage). */
  storage?: Storage;
  /** Skip the GetCurrentUser check on start. */
  skipValidation?: boolean;
  /** How long a sign-out waits for the server (default {@link SIGN_OUT_TIMEOUT_MS}). */
  signOutTimeoutMs?: number;
}

/** Provides the session and the app's transport. */
export function SessionProvider(props: SessionProviderProps): JSX.Element {
  const storage = props.storage ?? (typeof localStorage === "undefined" ? undefined : localStorage);
  const initial = readStoredSession(storage);
  const [token, setToken] = createSignal<string | undefined>(initial?.token);
  const [user, setUser] = createSignal<SessionUser | undefined>(initial?.user);
  const [reason, setReason] = createSignal<SignOutReason>();
  const [notEndedUntil, setNotEndedUntil] = createSignal<Date>();

  const save = (s: StoredSession | undefined) => {
    setToken(s?.token);
    setUser(s?.user);
    try {
      if (s) storage?.setItem(SESSION_KEY, JSON.stringify(s));
      else storage?.removeItem(SESSION_KEY);
    } catch {
      // Private mode or a full quota: the session still works until the window closes.
    }
  };

  /** Forgets `ended` (the current token unless given) here, if it is still the signed-in one. */
  const forget = (why: SignOutReason, ended = token()) => {
    if (!ended || token() !== ended) return;
    setReason(why);
    setNotEndedUntil(why === "not-ended" ? tokenExpiry(ended) : undefined);
    save(undefined);
  };

  // The sign-out under way, if any: the server is being asked to end the session.
  let ending: Promise<void> | undefined;
  const signOut = (why: SignOutReason = "user"): Promise<void> => {
    // While the server ends the session, calls refused because of it are not an expired session.
    if (ending) return ending;
    if (why !== "user") {
      forget(why);
      return Promise.resolve();
    }
    const ended = token();
    if (!ended) return Promise.resolve();
    ending = endOnServer()
      .then((confirmed) => forget(confirmed ? "user" : "not-ended", ended))
      .finally(() => {
        ending = undefined;
      });
    return ending;
  };

  const transport = (props.createTransport ?? ((t, u) => createAppTransport(t, window.location.origin, u)))(
    token,
    () => void signOut("expired"),
  );
  const auth = lazyClient(loadAuthService, transport);

  /**
   * Asks the server to end this token's session: true when it did, or when the session had already
   * ended (UNAUTHENTICATED); false when the server could not be reached or failed, in time or at all.
   */
  const endOnServer = async (): Promise<boolean> => {
    try {
      await (await auth()).signOut({}, { timeoutMs: props.signOutTimeoutMs ?? SIGN_OUT_TIMEOUT_MS });
      return true;
    } catch (err) {
      return err instanceof ConnectError && err.code === Code.Unauthenticated;
    }
  };

  const session: Session = {
    user,
    token,
    timeZone: () => user()?.timeZone || browserTimeZone(),
    weekStart: () => user()?.weekStart || 1,
    async updateProfile(changes) {
      const started = token();
      const res = await (await auth()).updateUser({
        user: changes,
        updateMask: { paths: profileMask(changes) },
      });
      // Signed out (or in as someone else) meanwhile: the answer is for a session that is gone.
      if (token() === started) save({ token: res.accessToken, user: toSessionUser(res.user) });
    },
    signOutReason: reason,
    notEndedUntil,
    async signIn(email, password) {
      const res = await (await auth()).signIn({ email: email.trim(), password });
      setReason(undefined);
      save({ token: res.accessToken, user: toSessionUser(res.user, email) });
    },
    async signUp(email, password) {
      const res = await (await auth()).signUp({ email: email.trim(), password, timeZone: browserTimeZone() });
      setReason(undefined);
      save({ token: res.accessToken, user: toSessionUser(res.user, email) });
    },
    signOut,
  };

  const firstScreen = useFirstScreen();
  const validate = () => {
    const started = token();
    if (started) {
      auth()
        .then((a) => a.getCurrentUser({}))
        .then((res) => {
          // Only refresh if nobody signed in or out while the call was in flight.
          if (token() === started) save({ token: started, user: toSessionUser(res.user) });
        })
        .catch(() => {
          // UNAUTHENTICATED already signed out (interceptor); a network failure keeps the cached session.
        });
    }
  };

  onMount(() => {
    // The cached user is shown meanwhile, and any call answering UNAUTHENTICATED signs out anyway,
    // so the check waits for the first screen (state/first-screen.ts).
    if (!props.skipValidation) {
      if (firstScreen) firstScreen.after(validate);
      else validate();
    }
    // Another window of this browser signed in or out: follow it.
    const onStorage = (e: StorageEvent) => {
      if (e.key !== SESSION_KEY && e.key !== null) return;
      const s = readStoredSession(storage);
      setToken(s?.token);
      setUser(s?.user);
    };
    window.addEventListener("storage", onStorage);
    onCleanup(() => window.removeEventListener("storage", onStorage));
  });

  return (
    <SessionContext.Provider value={session}>
      <TransportProvider transport={transport}>{props.children}</TransportProvider>
    </SessionContext.Provider>
  );
}

/** The session; only inside {@link SessionProvider}. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside <SessionProvider>");
  return s;
}
