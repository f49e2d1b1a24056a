// Real Chromium for the web app's tests (Debian's package; Playwright's own download is not
// reachable here). Tests skip when it is missing, unless WAYFINDER_REQUIRE_BROWSER=1 (CI).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const hasBrowser = fs.existsSync(CHROMIUM);
export const browserRequired = process.env.WAYFINDER_REQUIRE_BROWSER === "1";
if (browserRequired && !hasBrowser)
  throw new Error(
    `WAYFINDER_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install -y chromium)`,
  );

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Browser {
  context: BrowserContext;
  /** Every URL any page requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * One browser per test file, with a fresh profile directory that is removed afterwards.
 * `javaScriptEnabled: false` checks the pages work without JavaScript (progressive enhancement).
 */
export async function launchBrowser(opts: { javaScriptEnabled?: boolean } = {}): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wayfinder-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
  });
  const requests: string[] = [];
  context.on("request", (r) => requests.push(r.url()));
  return {
    context,
    requests,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const axeSource = fs.readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

/** Runs axe-core inside the page (WCAG 2.x A/AA and 2.2 rules); returns serious and critical violations. */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's script CSP does not govern.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
      },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Presses Tab until the element matching `selector` has focus (keyboard-only navigation). */
export async function tabTo(page: Page, selector: string, maxPresses = 400): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

export const SCREENSHOT_DIR = path.resolve("test-results/screenshots");

/** Desktop and mobile screenshots of the current page, for a reviewer (git-ignored folder). */
export async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-mobile.png`), fullPage: true });
  await page.setViewportSize(size ?? { width: 1280, height: 900 });
}
