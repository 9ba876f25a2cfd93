/**
 * Accessibility checks with axe-core (the root package's exact-pinned devDependency): the engine's
 * own browser build is evaluated in the page and `axe.run` is called on the whole document with the
 * WCAG 2.0/2.1/2.2 A and AA rules and axe's best practices. Evaluating it through the DevTools
 * protocol (`page.evaluate`) rather than a `<script>` tag is what lets it run under the app's real
 * Content-Security-Policy, which allows no inline script.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AxeResults, ImpactValue, Result, RunOptions } from "axe-core";
import type { Page } from "playwright-core";

/** The rule tags checked: WCAG 2.x levels A and AA, and axe's best practices. */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] as const;

const IMPACTS: readonly ImpactValue[] = ["minor", "moderate", "serious", "critical"];

/**
 * The impacts a test refuses (axe's own scale: minor, moderate, serious, critical): serious and
 * critical, or the list in `AXE_IMPACTS` (`AXE_IMPACTS=moderate,serious,critical bun run test:e2e
 * accessibility` shows what else axe would say).
 */
export const BLOCKING_IMPACTS: readonly ImpactValue[] = (() => {
  const asked = process.env.AXE_IMPACTS?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!asked?.length) return ["serious", "critical"];
  const unknown = asked.filter((a) => !IMPACTS.includes(a as ImpactValue));
  if (unknown.length > 0)
    throw new Error(`AXE_IMPACTS: unknown impact ${unknown.join(", ")} (use ${IMPACTS.join(", ")})`);
  return asked as ImpactValue[];
})();

let source: string | undefined;

/** The browser build of axe-core (`axe.min.js`), read once. */
function axeSource(): string {
  source ??= readFileSync(fileURLToPath(import.meta.resolve("axe-core/axe.min.js")), "utf8");
  return source;
}

/**
 * Runs axe on `page` as it is now and returns its results. The engine is loaded into the page on
 * first use (again after a navigation); a failure to load or run is thrown, never reported as
 * "no violations".
 */
export async function runAxe(page: Page, options: RunOptions = {}): Promise<AxeResults> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === "object");
  if (!loaded) await page.evaluate(axeSource());
  const results = await page.evaluate(
    async (opts) => {
      const axe = (window as unknown as { axe: typeof import("axe-core") }).axe;
      return (await axe.run(document, opts)) as unknown;
    },
    {
      runOnly: { type: "tag", values: [...AXE_TAGS] },
      resultTypes: ["violations"],
      ...options,
    } as RunOptions,
  );
  const r = results as AxeResults;
  if (!Array.isArray(r?.violations) || !Array.isArray(r?.passes))
    throw new Error("axe-core returned no results from the page");
  return r;
}

/** The violations of `results` at `impacts` (default: serious and critical). */
export function blockingViolations(results: AxeResults, impacts = BLOCKING_IMPACTS): Result[] {
  return results.violations.filter((v) => v.impact && impacts.includes(v.impact));
}

/**
 * One line per violation and element, for a failure message: rule, impact, the element's
 * selector and axe's summary of what to fix (`color-contrast (serious) .sidebar__link: Element has
 * insufficient color contrast of 3.58 …`).
 */
export function describeViolations(violations: readonly Result[]): string[] {
  return violations.flatMap((v) =>
    v.nodes.map((n) => {
      const why = (n.failureSummary ?? v.help).replace(/\s+/g, " ").trim();
      return `${v.id} (${v.impact}) ${n.target.join(" ")}: ${why}`;
    }),
  );
}
