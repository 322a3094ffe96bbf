import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const chromiumPresent = () => existsSync(CHROMIUM_PATH);

/** Git-ignored (artifacts/ in .gitignore); CI uploads it. */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, "../../../artifacts/screenshots");

/** Small (phone) and large (desktop) widths every screen is captured at. */
export const WIDTHS = { small: { width: 390, height: 844 }, large: { width: 1280, height: 900 } } as const;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page (WCAG 2.x A/AA rules); returns the serious and critical violations.
 * The in-page code is a string: it runs in the browser, and this package has no DOM types.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate("'axe' in window"))) await page.addScriptTag({ content: axeSource });
  const violations = (await page.evaluate(`
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      .then((result) => result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")),
      })))
  `)) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/**
 * Saves the current screen at both widths as `<name>-small.png` / `<name>-large.png`, and
 * checks accessibility at each width (layouts differ). Returns the violations found.
 */
export async function captureScreen(page: Page, name: string): Promise<AxeViolation[]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  const found: AxeViolation[] = [];
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.evaluate("document.fonts.ready.then(() => true)");
    found.push(
      ...(await seriousA11yViolations(page)).map((v) => ({ ...v, id: `${v.id} (${name}, ${label})` })),
    );
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${label}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
  return found;
}
