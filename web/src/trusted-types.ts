/**
 * The page's Trusted Types policy. The server's Content-Security-Policy requires Trusted Types for
 * every script sink (`require-trusted-types-for 'script'`; docs/security.md), so a string written
 * to `innerHTML`, `outerHTML`, `insertAdjacentHTML`, `document.write`, `DOMParser`, a script's text
 * or `src`, `eval` … is refused unless a policy turns it into a trusted value. The policy names the
 * CSP allows are `default` (this one) and `dompurify` (DOMPurify's own, for its parser).
 *
 * Solid builds every element from a static HTML template (`template.innerHTML = "<div class=…>"`,
 * written by its compiler from the app's JSX), so HTML must be allowed; the `default` policy lets it
 * through DOMPurify. The app's templates are plain markup — no scripts, handlers, `javascript:` URLs
 * or inline styles (the CSP refuses those anyway) — and DOMPurify would pass them unchanged (the
 * browser test checks every template of the build), so the compiled ones skip it
 * ({@link trustedTemplate}); anything else written as HTML has its scripts and handlers
 * removed, and each removal is reported as a console warning starting with
 * {@link SANITIZED_WARNING}. Scripts are never made from strings: the policy has no `createScript`
 * or `createScriptURL`, so `eval`, `new Function`, a script element's text or a string `src` stay
 * blocked and reported.
 *
 * Import this module first (main.tsx does), so that the policy exists before Solid renders.
 */
import DOMPurify from "dompurify";

/** How a warning about removed markup starts (the browser tests listen for it). */
export const SANITIZED_WARNING = "Trusted Types: removed from HTML:";

/**
 * Elements the HTML parser only keeps inside a table, and the scaffold each needs. DOMPurify
 * parses a fragment as the content of `<body>`, where `<tr>` or `<td>` would vanish; Solid's
 * templates for the calendar's rows and cells are exactly such fragments (`<td><button …>`), so they
 * are sanitized inside their table and taken out again.
 */
const TABLE_CONTEXTS: readonly (readonly [RegExp, readonly string[]])[] = [
  [/^<(?:tbody|thead|tfoot|caption|colgroup)[\s>/]/i, ["table"]],
  [/^<col[\s>/]/i, ["table", "colgroup"]],
  [/^<tr[\s>/]/i, ["table", "tbody"]],
  [/^<t[dh][\s>/]/i, ["table", "tbody", "tr"]],
];

/**
 * DOMPurify's default configuration plus two things Solid's templates have: comments (`<!>`, the
 * markers where Solid inserts content; DOMPurify drops comments by default, which would move every
 * insertion, and still drops any comment with markup in it) and `autofocus`, used by the sign-in
 * form (left out by DOMPurify because it fires `focus` at once, which matters only with a handler,
 * and handlers are always removed).
 */
const CONFIG = { ADD_ATTR: ["autofocus"], ADD_TAGS: ["#comment"] };

/** What {@link sanitizeHtml} made of some HTML. */
export interface Sanitized {
  /** The HTML with anything that could run removed. */
  readonly html: string;
  /** What was removed: `<script>`, `img[onerror]`, … (empty: the HTML is unchanged in meaning). */
  readonly removed: readonly string[];
}

function describeRemoved(entry: unknown): string {
  const e = entry as { element?: Element | null; attribute?: Attr | null; from?: Element | null };
  if (e.attribute) return `${e.from?.nodeName.toLowerCase() ?? "?"}[${e.attribute.name}]`;
  const node = e.element;
  if (!node) return "?";
  return node.nodeType === Node.ELEMENT_NODE ? `<${node.nodeName.toLowerCase()}>` : node.nodeName;
}

/**
 * Sanitizes an HTML fragment with DOMPurify (its default configuration: HTML, SVG and MathML
 * without scripts, event handlers or script URLs), parsing table parts in their table. Throws where
 * DOMPurify is not supported. Tested in Chromium (tests/e2e/trusted-types.e2e.ts).
 */
export function sanitizeHtml(html: string): Sanitized {
  // Where DOMPurify cannot work it returns its input as it is: refuse instead (every browser with
  // Trusted Types supports it; happy-dom, for one, does not).
  if (!DOMPurify.isSupported) throw new TypeError("DOMPurify does not work in this browser: HTML refused");
  const context = TABLE_CONTEXTS.find(([pattern]) => pattern.test(html))?.[1];
  let out: string;
  if (!context) out = DOMPurify.sanitize(html, CONFIG);
  else {
    const wrapped = context.map((tag) => `<${tag}>`).join("") + html;
    const fragment = DOMPurify.sanitize(wrapped, { ...CONFIG, RETURN_DOM_FRAGMENT: true });
    let node: Element | null = fragment.firstElementChild;
    for (const tag of context.slice(1)) node = node?.querySelector(`:scope > ${tag}`) ?? null;
    out = node?.innerHTML ?? "";
  }
  return { html: out, removed: (DOMPurify.removed ?? []).map(describeRemoved) };
}

/** The templates {@link trustedTemplate} has seen (see there). */
const templates = new Set<string>();

/**
 * Marks one of Solid's compiled templates as safe and returns it unchanged. The build
 * (web/vite.config.ts, `trustedTemplatesPlugin`) wraps every template literal Solid's compiler
 * writes for the app's JSX — static markup, no substitutions — in a call to this function, so the
 * default policy lets exactly those strings through without DOMPurify. Parsing and re-serialising
 * each template with DOMPurify cost the first visit 56–91 ms of main-thread time (a fresh document
 * per call; docs/benchmarks-web.md); a Set lookup costs nothing. Only literals from the compiler
 * reach it — never a string made from data, which is what Trusted Types guard against — and the
 * browser test checks that DOMPurify would leave every template of the build unchanged anyway.
 */
export function trustedTemplate(html: string): string {
  templates.add(html);
  return html;
}

/** The part of the Trusted Types API this module uses (not yet in TypeScript's DOM library). */
interface TrustedTypeFactory {
  readonly defaultPolicy: unknown;
  createPolicy(
    name: string,
    rules: { createHTML?: (input: string, type?: string, sink?: string) => string },
  ): unknown;
}

/**
 * Creates the `default` policy (see the module comment). Does nothing where the browser has no
 * Trusted Types (there the CSP directive is ignored too) or a default policy already exists.
 */
export function installTrustedTypes(): void {
  const factory = (globalThis as { trustedTypes?: TrustedTypeFactory }).trustedTypes;
  if (!factory || factory.defaultPolicy) return;
  factory.createPolicy("default", {
    createHTML(input, _type, sink) {
      if (templates.has(input)) return input;
      const { html, removed } = sanitizeHtml(input);
      if (removed.length > 0)
        console.warn(`${SANITIZED_WARNING} ${removed.join(", ")} (written to ${sink ?? "an HTML sink"})`);
      return html;
    },
  });
}

installTrustedTypes();
