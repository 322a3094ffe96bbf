import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "@ztix/local-stack";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../../../test/support/api.ts";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { requireSystem } from "../../../test/support/system.ts";
import { chromiumPresent, launchChromium } from "../../../web/test/support/browser.ts";
import { BUILD_DIR, ensureWebBuild } from "../../../web/test/support/build.ts";
import { PASSWORD, seedLocalAccount } from "../../../web/test/support/people.ts";
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from "../src/security-headers.ts";
import { type LocalServer, serveLocal } from "../src/server.ts";

/** Serves the built SPA and the API on a fresh stack, with public_url naming the real origin. */
async function startServer(maxFailuresPerAddress: number) {
  const stack = await testStack();
  const port = await freePort();
  // Also public_url: the CSRF check compares Origin with it.
  const origin = `http://127.0.0.1:${port}`;
  const config = testConfig({
    public_url: origin,
    auth: {
      local: {
        throttle: {
          max_failures_per_username: 5,
          max_failures_per_address: maxFailuresPerAddress,
          window_seconds: 900,
        },
      },
    },
  });
  const { app } = testApp(stack, { config });
  const server = await serveLocal({ app, port, staticDir: BUILD_DIR });
  return { stack, origin, server };
}

/** The local server (`npm run dev`'s origin): the built SPA and the API, as a browser meets them. */
describe("the local server", () => {
  let stack: TestStack;
  let server: LocalServer;
  let origin: string;

  beforeAll(async () => {
    ensureWebBuild();
    ({ stack, origin, server } = await startServer(20));
    await seedLocalAccount(stack.data, { username: "csp-operator", asns: [{ asn: 64500 }] });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  });

  const expectSecurityHeaders = (res: Response, what: string) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(res.headers.get(name), `${name} on ${what}`).toBe(value);
    }
  };

  it("sends the security headers on the SPA page, its assets, client routes and the API", async () => {
    for (const path of [
      "/",
      "/login",
      "/requests/some-id",
      "/favicon.svg",
      "/api/v1/auth/methods",
      "/api/v1/nope",
    ]) {
      const res = await fetch(`${origin}${path}`);
      await res.arrayBuffer();
      expect(res.status, path).toBeLessThan(500);
      expectSecurityHeaders(res, path);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self'(;|$)/);
  });

  it("serves an SPA page with no inline script for the policy to allow", async () => {
    const html = await (await fetch(`${origin}/login`)).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/_app\/immutable\/[^"]+\.js"/);
      expect(body!.trim()).toBe("");
    }
  });

  it("takes the socket's address as the client's, whatever X-Forwarded-For says", async () => {
    // Its own server: these failures must not throttle the browser test's sign-in (same 127.0.0.1).
    const own = await startServer(3);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const headers = { "content-type": "application/json", "x-forwarded-for": `203.0.113.${i + 1}` };
        const csrf = await fetch(`${own.origin}/api/v1/auth/csrf`, { headers });
        const { csrf_token: token } = (await csrf.json()) as { csrf_token: string };
        const res = await fetch(`${own.origin}/api/v1/auth/local/login`, {
          method: "POST",
          headers: { ...headers, origin: own.origin, "x-csrf-token": token, cookie: `ztix_csrf=${token}` },
          body: JSON.stringify({ username: `socket-${i}`, password: "wrong password" }),
        });
        statuses.push(res.status);
      }
      // max_failures_per_address is 3 there: every attempt came from the same socket address.
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await own.server.close();
    }
  });

  const browserReady = requireSystem("chromium", chromiumPresent());

  describe.skipIf(!browserReady)("in a real browser", () => {
    let browser: Browser;
    let framer: Server;
    beforeAll(async () => {
      browser = await launchChromium();
      // Another origin that tries to show the app in a frame.
      framer = createServer((_req, res) => {
        res.setHeader("content-type", "text/html");
        res.end(`<!doctype html><title>framer</title><iframe src="${origin}/login"></iframe>`);
      });
      await new Promise<void>((ok) => framer.listen(0, "127.0.0.1", ok));
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      framer?.close();
    });

    it("runs the SPA under the policy with no violation (sign-in to dashboard), and refuses to be framed", async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const messages: string[] = [];
      page.on("console", (m) => messages.push(m.text()));
      page.on("pageerror", (e) => messages.push(String(e)));
      // In-page code as strings: it runs in the browser, and this package has no DOM types.
      await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) =>
        console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI))`);
      await page.goto(`${origin}/login`);
      await page.getByLabel("Username").fill("csp-operator");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/dashboard$/, { timeout: 30_000 });
      // The stylesheet and its fonts came through too: the page is set in its own font.
      const fontLoaded = `document.fonts.ready.then(() =>
        [...document.fonts].some((f) => f.family.includes("Noto Sans") && f.status === "loaded"))`;
      expect(await page.evaluate(fontLoaded)).toBe(true);
      expect(messages.filter((m) => /Content Security Policy|CSP violation/i.test(m))).toEqual([]);

      const framed = await context.newPage();
      const refusals: string[] = [];
      framed.on("console", (m) => refusals.push(m.text()));
      await framed.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
      await expect
        .poll(() => refusals.some((m) => /frame-ancestors/.test(m)), { timeout: 10_000 })
        .toBe(true);
      await context.close();
    });
  });
});
