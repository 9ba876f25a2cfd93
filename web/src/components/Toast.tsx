/**
 * Toasts: short messages at the bottom of the screen — "Completed “Pay rent” · Undo", or an error
 * in words. Information is a polite `status`, failures an assertive `alert`, so screen readers
 * announce both without stealing focus. Each goes away by itself (errors stay longer) or with its
 * close button.
 */
import { type Accessor, createContext, createSignal, For, type JSX, Show, useContext } from "solid-js";

/** What to show. */
export interface ToastInput {
  readonly message: string;
  /** `error` is announced assertively and stays longer. Default `info`. */
  readonly kind?: "info" | "error";
  /** One button, such as Undo or Retry; clicking it also closes the toast. */
  readonly action?: { readonly label: string; run(): void };
  /** Milliseconds before it closes by itself; 0 keeps it. Default 5 s (errors 8 s). */
  readonly timeout?: number;
}

/** A toast on screen. */
export interface ToastItem extends ToastInput {
  readonly id: number;
}

/** The toast API components get from {@link useToasts}. */
export interface Toasts {
  readonly items: Accessor<readonly ToastItem[]>;
  /** Shows a toast; returns its id. */
  show(toast: ToastInput): number;
  dismiss(id: number): void;
}

const ToastContext = createContext<Toasts>();

/** Creates a toast list (the provider does this; exported for tests). */
export function createToasts(): Toasts {
  const [items, setItems] = createSignal<readonly ToastItem[]>([]);
  let nextId = 1;
  const dismiss = (id: number) => setItems((l) => l.filter((t) => t.id !== id));
  return {
    items,
    show(toast) {
      const id = nextId++;
      // At most four at once: the oldest give way.
      setItems((l) => [...l.slice(-3), { ...toast, id }]);
      const timeout = toast.timeout ?? (toast.kind === "error" ? 8000 : 5000);
      if (timeout > 0) setTimeout(() => dismiss(id), timeout);
      return id;
    },
    dismiss,
  };
}

/** Provides toasts to everything below and shows them. */
export function ToastProvider(props: { children: JSX.Element; toasts?: Toasts }): JSX.Element {
  const toasts = props.toasts ?? createToasts();
  return (
    <ToastContext.Provider value={toasts}>
      {props.children}
      <ToastRegion toasts={toasts} />
    </ToastContext.Provider>
  );
}

/** The toasts on screen. */
export function ToastRegion(props: { toasts: Toasts }): JSX.Element {
  return (
    <section class="toasts" aria-label="Notifications from the app">
      <For each={props.toasts.items()}>
        {(t) => (
          <div
            class="toast"
            classList={{ "toast--error": t.kind === "error" }}
            role={t.kind === "error" ? "alert" : "status"}
          >
            <span class="toast__message">{t.message}</span>
            <Show when={t.action}>
              {(action) => (
                <button
                  type="button"
                  class="toast__action"
                  onClick={() => {
                    props.toasts.dismiss(t.id);
                    action().run();
                  }}
                >
                  {action().label}
                </button>
              )}
            </Show>
            <button
              type="button"
              class="icon-button toast__close"
              aria-label="Dismiss"
              onClick={() => props.toasts.dismiss(t.id)}
            >
              ×
            </button>
          </div>
        )}
      </For>
    </section>
  );
}

/** The toasts; only inside {@link ToastProvider}. */
export function useToasts(): Toasts {
  const t = useContext(ToastContext);
  if (!t) throw new Error("useToasts outside <ToastProvider>");
  return t;
}
