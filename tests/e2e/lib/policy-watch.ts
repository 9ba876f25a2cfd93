/**
 * Watches a browser context for what the page's Content-Security-Policy and Trusted Types report
 * (docs/security.md): every `securitypolicyviolation` (reported from the page as it happens, so none
 * is lost to a navigation), console error, sanitizer warning of the app's Trusted Types policy
 * (web/src/trusted-types.ts), uncaught error and dialog (dismissed).
 */
import { expect } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";

/** How web/src/trusted-types.ts's warnings start (its SANITIZED_WARNING; the app is not importable here). */
export const SANITIZED_WARNING = "Trusted Types: removed from HTML:";

/** What a context's pages reported, in order. */
export interface Trouble {
  /** `<directive> <blocked URI or "inline"> <sample>`, such as `script-src-attr inline`. */
  readonly violations: string[];
  readonly consoleErrors: string[];
  /** Console warnings of the Trusted Types policy: markup it removed. */
  readonly sanitized: string[];
  readonly pageErrors: string[];
  readonly dialogs: string[];
}

/** Starts recording {@link Trouble} for `context` (and every page it opens). */
export async function watch(context: BrowserContext): Promise<Trouble> {
  const trouble: Trouble = { violations: [], consoleErrors: [], sanitized: [], pageErrors: [], dialogs: [] };
  await context.exposeFunction("__reportCspViolation", (text: string) => trouble.violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __reportCspViolation(t: string): void }).__reportCspViolation;
      report(`${e.violatedDirective} ${e.blockedURI || "inline"} ${e.sample}`.trim());
    });
  });
  const track = (page: Page) => {
    page.on("console", (m) => {
      if (m.type() === "error") trouble.consoleErrors.push(m.text());
      if (m.text().startsWith(SANITIZED_WARNING)) trouble.sanitized.push(m.text());
    });
    page.on("pageerror", (e) => trouble.pageErrors.push(String(e)));
    page.on("dialog", (d) => {
      trouble.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss().catch(() => {});
    });
  };
  context.on("page", track);
  for (const p of context.pages()) track(p);
  return trouble;
}

/** Expects that nothing at all was reported. */
export function expectNoTrouble(trouble: Trouble): void {
  expect({ ...trouble }).toEqual({
    violations: [],
    consoleErrors: [],
    sanitized: [],
    pageErrors: [],
    dialogs: [],
  });
}
