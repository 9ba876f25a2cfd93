/**
 * Sign in or create an account, on one form: "Email", "Password", and the buttons "Sign in" (the
 * default, on Enter) and "Sign up". A new account takes the browser's time zone. Errors are shown
 * under the form in words; after success the app goes where the person was headed (`?next=`). After a
 * sign-out the server could not confirm, it says until when the session lives on elsewhere.
 */
import { Navigate, useSearchParams } from "@solidjs/router";
import { createSignal, type JSX, Show } from "solid-js";
import { errorMessage } from "../api/errors";
import { preloadAuthService, useSession } from "../api/session";
import { CheckCircleIcon } from "../components/Icons";
import { formatFull } from "../lib/format";

/** Where to go after signing in: a same-origin path only. */
function safeNext(next: string | string[] | undefined): string {
  const n = Array.isArray(next) ? next[0] : next;
  return n?.startsWith("/") && !n.startsWith("//") ? n : "/";
}

/** The sign-in page. */
export function SignInPage(): JSX.Element {
  const session = useSession();
  const [params] = useSearchParams();
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal<"in" | "up">();
  document.title = "Sign in · Todo";
  const notEndedUntil = () => {
    const until = session.notEndedUntil();
    return until ? formatFull(until, session.timeZone()) : "it expires";
  };
  preloadAuthService();
  let email!: HTMLInputElement;
  let password!: HTMLInputElement;

  const submit = async (mode: "in" | "up") => {
    if (busy()) return;
    setError(undefined);
    if (!email.value.trim() || !password.value) {
      setError("Enter your e-mail address and a password.");
      return;
    }
    if (mode === "up" && password.value.length < 8) {
      setError("Choose a password of at least 8 characters.");
      password.focus();
      return;
    }
    setBusy(mode);
    try {
      if (mode === "in") await session.signIn(email.value, password.value);
      else await session.signUp(email.value, password.value);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Show when={!session.user()} fallback={<Navigate href={safeNext(params.next)} />}>
      <main class="signin" id="main">
        <div class="signin__card">
          <h1 class="signin__brand">
            <CheckCircleIcon size={28} class="brand__mark" /> Todo
          </h1>
          <p class="signin__lead">Sign in, or create an account with any e-mail address.</p>
          <Show when={session.signOutReason() === "expired"}>
            <p class="notice" role="status">
              Your session has ended. Please sign in again.
            </p>
          </Show>
          <Show when={session.signOutReason() === "not-ended"}>
            <p class="notice" role="status">
              Signed out on this device. The server couldn't be reached to end the session, so a copy of its
              access token elsewhere (an MCP client, say) keeps working until {notEndedUntil()}.
            </p>
          </Show>
          <form
            class="signin__form"
            onSubmit={(e) => {
              e.preventDefault();
              const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
              void submit(submitter?.value === "up" ? "up" : "in");
            }}
            aria-describedby={error() ? "signin-error" : undefined}
          >
            <label class="field">
              <span class="field__label">Email</span>
              <input
                ref={email}
                name="email"
                type="email"
                autocomplete="username"
                required
                autofocus
                aria-invalid={error() ? "true" : "false"}
              />
            </label>
            <label class="field">
              <span class="field__label">Password</span>
              <input
                ref={password}
                name="password"
                type="password"
                autocomplete="current-password"
                required
                aria-describedby="password-help"
                aria-invalid={error() ? "true" : "false"}
              />
            </label>
            <span id="password-help" class="field-help">
              At least 8 characters for a new account.
            </span>
            <Show when={error()}>
              <p id="signin-error" class="field-error" role="alert">
                {error()}
              </p>
            </Show>
            <div class="signin__actions">
              <button type="submit" class="button button--primary" value="in" disabled={Boolean(busy())}>
                {busy() === "in" ? "Signing in…" : "Sign in"}
              </button>
              <button type="submit" class="button" value="up" disabled={Boolean(busy())}>
                {busy() === "up" ? "Creating account…" : "Sign up"}
              </button>
            </div>
          </form>
        </div>
      </main>
    </Show>
  );
}
