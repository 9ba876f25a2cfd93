/**
 * Debian's Chromium driven by playwright-core. `npx playwright install` cannot download browsers on
 * this machine, so the browser is the distribution package (`apt-get install -y chromium`), started
 * with the flags that make it quiet and self-contained in a container (see STACK.md, "Web").
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Where the browser is: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromiumPath: string = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * The command-line flags every run uses. No sandbox (we run as root in a container), no GPU, no
 * QUIC, and no background traffic (updates, sync, first-run pages) that could slow a test or leak
 * out. Playwright adds `--headless` and a fresh temporary `--user-data-dir` itself for `launch()`.
 */
export const chromiumArgs: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches headless Chromium. Throws a message saying how to install it when the binary is missing,
 * so a machine without Chromium fails loudly instead of skipping the browser tests.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}: install it with \`apt-get install -y chromium\` ` +
        "(or set CHROMIUM_PATH); .ci/run does this itself",
    );
  }
  return await chromium.launch({ executablePath: chromiumPath, headless: true, args: [...chromiumArgs] });
}
