/**
 * Light and dark themes. Until the person picks one the app follows the system
 * (`prefers-color-scheme`), and keeps following it when it changes; a pick is kept in localStorage.
 * The choice is written to `<html data-theme>`; index.html applies the stored one before the app
 * loads, so a dark page never flashes white.
 */
import { type Accessor, createSignal, onCleanup } from "solid-js";

/** A theme. */
export type Theme = "light" | "dark";

/** The localStorage key of a picked theme. */
export const THEME_KEY = "todo.theme";

function systemTheme(): Theme {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches
    ? "dark"
    : "light";
}

function storedTheme(): Theme | undefined {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === "dark" || v === "light" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The theme in force and a toggle; must run inside a reactive owner. */
export function createTheme(): { theme: Accessor<Theme>; toggle(): void } {
  const [theme, setTheme] = createSignal<Theme>(storedTheme() ?? systemTheme());
  const apply = (t: Theme) => {
    document.documentElement.dataset.theme = t;
    setTheme(t);
  };
  apply(theme());
  if (typeof matchMedia === "function") {
    const mq = matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => {
      if (!storedTheme()) apply(systemTheme());
    };
    mq.addEventListener?.("change", onChange);
    onCleanup(() => mq.removeEventListener?.("change", onChange));
  }
  return {
    theme,
    toggle() {
      const next: Theme = theme() === "dark" ? "light" : "dark";
      try {
        localStorage.setItem(THEME_KEY, next);
      } catch {
        // Not kept, but applied.
      }
      apply(next);
    },
  };
}
