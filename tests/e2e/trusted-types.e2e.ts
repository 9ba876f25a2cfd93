/**
 * Trusted Types (docs/security.md, web/src/trusted-types.ts): the page's policy requires Trusted
 * Types for every script sink and allows only the app's `default` policy (DOMPurify) and
 * DOMPurify's own. Chromium loads the built app from `bun start` under it; the app signs up, lists,
 * adds a task, opens the editor and its calendar (table-row templates) and the assistant with no
 * CSP or Trusted Types violation, console error or sanitizer warning; every HTML template of the
 * build passes the policy unchanged; markup injected through `innerHTML` is sanitized (the
 * handler removed, reported, never run); and strings never become scripts.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { untilPasses } from "@todo/testkit/eventually";
import { completeBox, quickAdd, signUpUi, taskRow } from "./lib/app.ts";
import { e2e, newContext } from "./lib/harness.ts";
import { expectNoTrouble, watch } from "./lib/policy-watch.ts";
import { repoRoot } from "./lib/server.ts";

beforeAll(async () => {
  await e2e();
});

/**
 * The HTML templates of the built app: Solid's compiler writes each as a backtick literal. DOMPurify's
 * own two markup literals (the document it parses into) are not templates.
 */
function buildTemplates(): string[] {
  const dir = join(repoRoot, "web", "dist", "assets");
  const found = new Set<string>();
  for (const f of readdirSync(dir).filter((name) => name.endsWith(".js")))
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/`(<[a-z][^`$]*)`/g))
      if (m[1] && !/^<(remove|html)\b/.test(m[1])) found.add(m[1]);
  return [...found];
}

const decode = (value: string) =>
  value.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&amp;", "&");

/**
 * The start tags and comments of some HTML, in order, each tag as `name attr=value …` (attributes
 * sorted, quotes dropped, entities decoded).
 */
function startTags(html: string): string[] {
  const tags: string[] = [];
  for (const [token, name = "", attrs = ""] of html.matchAll(
    /<!(?:--[\s\S]*?--)?>|<([a-z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/gi,
  )) {
    if (token.startsWith("<!")) {
      tags.push("#comment");
      continue;
    }
    const parts = [...attrs.matchAll(/([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)].map(
      ([, n = "", a, b, c]) => `${n.toLowerCase()}=${decode(a ?? b ?? c ?? "")}`,
    );
    tags.push([name.toLowerCase(), ...parts.sort()].join(" "));
  }
  return tags;
}

describe("Trusted Types", () => {
  test("the app runs under the policy: sign up, list, add, complete, the editor's calendar, the assistant", async () => {
    const context = await newContext();
    const reports = await watch(context);
    const page = await context.newPage();
    const response = await page.goto("/");
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).toContain("trusted-types default dompurify");
    expect(
      await page.evaluate(() =>
        Boolean((window as { trustedTypes?: { defaultPolicy: unknown } }).trustedTypes?.defaultPolicy),
      ),
    ).toBe(true);

    await signUpUi(page, `tt-${crypto.randomUUID().slice(0, 8)}@example.com`);
    await quickAdd(page, "Buy stamps tomorrow #errands", "Buy stamps");
    await quickAdd(page, "Return the library books", "Return the library books");
    await completeBox(page, "Return the library books").click();
    await untilPasses(async () => expect(await taskRow(page, "Return the library books").count()).toBe(0));
    await page.reload();
    await taskRow(page, "Buy stamps").waitFor();

    // The editor (a lazy chunk) and its calendar, whose rows and cells are `<tr>` / `<td>` templates.
    await taskRow(page, "Buy stamps").getByRole("button", { name: "Buy stamps", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Edit task: Buy stamps" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Show calendar" }).click();
    const grid = dialog.getByRole("table");
    await grid.waitFor();
    expect(await grid.getByRole("columnheader").count()).toBe(7);
    expect(await grid.getByRole("row").count()).toBeGreaterThanOrEqual(5);
    expect(await grid.locator("td > button").count()).toBeGreaterThanOrEqual(28);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // The assistant (another lazy chunk) answers.
    await page.getByRole("button", { name: "Assistant", exact: true }).click();
    const chat = page.getByLabel("Message the assistant", { exact: true });
    await chat.fill("what's due tomorrow?");
    await chat.press("Enter");
    const answer = page.getByRole("list", { name: "Conversation" }).getByRole("listitem").nth(1);
    await answer.waitFor();
    await untilPasses(async () => expect(await answer.textContent()).toContain("Buy stamps"));

    expectNoTrouble(reports);
  });

  test("every HTML template of the build passes the default policy unchanged", async () => {
    const templates = buildTemplates();
    expect(templates.length).toBeGreaterThan(100);
    expect(templates.some((t) => t.startsWith("<td>"))).toBe(true);
    const context = await newContext();
    const reports = await watch(context);
    const page = await context.newPage();
    await page.goto("/");
    const outputs = await page.evaluate((list) => {
      const policy = (
        window as unknown as { trustedTypes: { defaultPolicy: { createHTML(s: string): unknown } } }
      ).trustedTypes.defaultPolicy;
      // A trailing space makes each string one the app never registered (src/trusted-types.ts,
      // trustedTemplate), so it goes through DOMPurify: what is checked is that DOMPurify would
      // leave the template as it is, not that the fast path lets it through.
      return list.map((t) => String(policy.createHTML(`${t} `)));
    }, templates);
    const changed = templates
      .map((t, i) => ({ template: t, out: outputs[i] ?? "" }))
      .filter(({ template, out }) => JSON.stringify(startTags(template)) !== JSON.stringify(startTags(out)));
    expect(changed).toEqual([]);
    expect(reports.sanitized).toEqual([]);
    console.log(`${templates.length} templates of the build pass the default policy unchanged`);
  });

  test("markup written to innerHTML is sanitized, and strings never become scripts", async () => {
    const context = await newContext();
    const reports = await watch(context);
    const page = await context.newPage();
    await page.goto("/");
    await page.getByRole("heading", { level: 1 }).first().waitFor();

    // An HTML sink: the string goes through the default policy, which removes the handler.
    const injected = await page.evaluate(() => {
      const el = document.createElement("div");
      document.body.append(el);
      el.innerHTML = '<img src=x onerror="window.__pwned = 1"><b>bold</b><script>window.__pwned = 2</script>';
      return el.innerHTML;
    });
    expect(injected).toBe('<img src="x"><b>bold</b>');
    await Bun.sleep(300); // the image's error event has fired by now (src=x is a 404)
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await untilPasses(() =>
      expect(reports.sanitized).toEqual([
        "Trusted Types: removed from HTML: img[onerror], <script> (written to Element innerHTML)",
      ]),
    );
    // DOMPurify parses the string in an inert document, where Chromium still applies the page's
    // policy to the handler attribute: refused and reported there too, before DOMPurify removes it.
    await untilPasses(() => expect(reports.violations).toEqual(["script-src-attr inline"]));

    // Script sinks: blocked (a TypeError or EvalError in the page) and reported, as no policy makes
    // scripts. The attempts run from a timer, as the page's own code: code Playwright evaluates
    // directly is exempt from the eval check (CDP's allowUnsafeEvalBlockedByCSP).
    const blocked = await page.evaluate(() => {
      const attempts: Record<string, () => unknown> = {
        "script.src": () => {
          document.createElement("script").src = "/evil.js";
        },
        "script.text": () => {
          document.createElement("script").text = "window.__pwned = 3";
        },
        // biome-ignore lint/security/noGlobalEval: the point is that the page refuses it
        eval: () => eval("window.__pwned = 4"),
        "new Function": () => new Function("window.__pwned = 5"),
        "a second policy": () =>
          (
            window as unknown as { trustedTypes: { createPolicy(n: string, r: object): unknown } }
          ).trustedTypes.createPolicy("evil", { createScript: (s: string) => s }),
        "a second default": () =>
          (
            window as unknown as { trustedTypes: { createPolicy(n: string, r: object): unknown } }
          ).trustedTypes.createPolicy("default", { createScript: (s: string) => s }),
      };
      return new Promise<string[]>((resolve) =>
        setTimeout(() =>
          resolve(
            Object.entries(attempts).map(([name, attempt]) => {
              try {
                attempt();
                return `${name}: allowed`;
              } catch (e) {
                return `${name}: ${(e as Error).name}`;
              }
            }),
          ),
        ),
      );
    });
    expect(blocked).toEqual([
      "script.src: TypeError",
      "script.text: TypeError",
      "eval: EvalError",
      "new Function: EvalError",
      "a second policy: TypeError",
      "a second default: TypeError",
    ]);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await untilPasses(() =>
      expect(reports.violations.map((v) => v.split(" ")[0])).toEqual(
        expect.arrayContaining(["require-trusted-types-for", "trusted-types"]),
      ),
    );
    console.log(`blocked: ${blocked.join("; ")}; reported: ${reports.violations.join(" | ")}`);
  });
});
