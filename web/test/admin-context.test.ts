import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequest, type UserItem } from "@ztix/data";
import { waitFor } from "@ztix/local-stack";
import { type PeeringDbStandIn, startPeeringDbStandIn } from "@ztix/peeringdb/stand-in";
import { type ControllerEmulator, startControllerEmulator } from "@ztix/zerotier-emulator";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, testApp } from "../../test/support/api.ts";
import { TEST_ORIGIN, testConfig } from "../../test/support/config.ts";
import { type TestStack, testStack } from "../../test/support/stack.ts";
import { requireSystem } from "../../test/support/system.ts";
import { signIn as sessionFor } from "../../test/support/users.ts";
import {
  type AxeViolation,
  captureScreen,
  chromiumPresent,
  launchChromium,
  WIDTHS,
} from "./support/browser.ts";
import { PASSWORD, seedLocalAccount } from "./support/people.ts";
import { NETWORKS, type RunningWorker, startWorker } from "./support/provisioning.ts";
import { startWebServer, type WebServer } from "./support/server.ts";

const PEERINGDB_KEY = "web-test-peeringdb-key";
/** Example Network in the PeeringDB stand-in's demo data (Example Holdings, 120/40 prefixes). */
const ASN = 64500;

let nodeCounter = 0x3b_0000_0000;
const nextNodeId = () => (++nodeCounter).toString(16).padStart(10, "0");

describe.skipIf(!requireSystem("chromium", chromiumPresent()))(
  "the admin's decision context in a real browser",
  () => {
    let stack: TestStack;
    let emulator: ControllerEmulator;
    let pdb: PeeringDbStandIn;
    let web: WebServer;
    let worker: RunningWorker;
    let browser: Browser;
    let lanId: string;
    const ids: Record<"active" | "colleague" | "review", string> = { active: "", colleague: "", review: "" };
    const nodes = { review: nextNodeId(), colleague: nextNodeId() };

    /**
     * A person's API session on the same stack, through the real routes: an app with the
     * browser's config but the origin the API test client sends.
     */
    async function apiAs(user: UserItem): Promise<ApiClient> {
      const api = testApp(stack, { config: testConfig({ ...web.config, public_url: TEST_ORIGIN } as never) });
      return sessionFor(api.client(), stack.data, api.deps.config, user);
    }

    async function waitForStored(id: string, status: string) {
      await waitFor(
        async () => (await getRequest(stack.data, id))?.status === status,
        60_000,
        `request ${status}`,
      );
    }

    beforeAll(async () => {
      emulator = await startControllerEmulator({ homeDir: mkdtempSync(join(tmpdir(), "ztix-web-ctx-")) });
      pdb = await startPeeringDbStandIn({ apiKey: PEERINGDB_KEY });
      stack = await testStack({
        secrets: { controller_token: emulator.token, peeringdb_api_key: PEERINGDB_KEY },
      });
      web = await startWebServer(stack, {
        networks: [NETWORKS.lan],
        controller: {
          transport: { kind: "direct", url: emulator.url },
          token: { secret: "controller_token" },
          home_dir: emulator.homeDir,
          restart_command: "true",
          request_timeout_ms: 2000,
        },
        // The worker reads the ASN's record from the PeeringDB stand-in, as it would from PeeringDB.
        peeringdb_api: { base_url: pdb.url, api_key: { secret: "peeringdb_api_key" } },
      } as never);
      worker = await startWorker(stack, web.config);
      lanId = worker.networkIds[NETWORKS.lan.suffix]!;

      // Dana signed in with PeeringDB; Erin, a colleague on the same ASN, has a local account.
      const dana = await seedLocalAccount(stack.data, {
        username: "dana",
        asns: [{ asn: ASN, name: "Example Network" }],
      });
      await stack.data.entities.user
        .patch({ userId: dana.userId })
        .set({ displayName: "Dana Peering", source: "peeringdb" })
        .go();
      const erin = await seedLocalAccount(stack.data, {
        username: "erin",
        asns: [{ asn: ASN, name: "Example Network" }],
      });
      await stack.data.entities.user
        .patch({ userId: erin.userId })
        .set({ displayName: "Erin Colleague" })
        .go();
      const admin = await seedLocalAccount(stack.data, { username: "root", isAdmin: true });
      await stack.data.entities.user.patch({ userId: admin.userId }).set({ displayName: "Ada Admin" }).go();
      const danaApi = await apiAs({ ...dana, displayName: "Dana Peering", source: "peeringdb" });
      const erinApi = await apiAs(erin);
      const adminApi = await apiAs(admin);

      // An earlier membership of the ASN, provisioned by the real worker on the emulator.
      const first = await danaApi.post("/api/v1/requests", {
        asn: ASN,
        zt_network_id: lanId,
        node_id: nextNodeId(),
      });
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      ids.active = first.body.request.request_id;
      expect((await adminApi.post(`/api/v1/admin/requests/${ids.active}/approve`)).status).toBe(200);
      await waitForStored(ids.active, "active");
      // A colleague's pending request, whose node never asked to join.
      const second = await erinApi.post("/api/v1/requests", {
        asn: ASN,
        zt_network_id: lanId,
        node_id: nodes.colleague,
      });
      ids.colleague = second.body.request.request_id;
      // The request under review: its node ran `zerotier-cli join` (the controller lists it).
      emulator.simulateJoin(lanId, nodes.review);
      const third = await danaApi.post("/api/v1/requests", {
        asn: ASN,
        zt_network_id: lanId,
        node_id: nodes.review,
      });
      ids.review = third.body.request.request_id;

      browser = await launchChromium();
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await worker?.stop();
      await web?.close();
      await pdb?.stop();
      await emulator?.stop();
    });

    async function adminPage(): Promise<Page> {
      const context = await browser.newContext({ viewport: WIDTHS.large });
      const page = await context.newPage();
      await page.goto(`${web.origin}/login`);
      await page.getByLabel("Username").fill("root");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/admin\/requests$/);
      return page;
    }

    it("shows who asks, the PeeringDB record with its age, the node seen and the ASN's other requests", async () => {
      const violations: AxeViolation[] = [];
      const page = await adminPage();
      try {
        // The queue lists every status, with who asked.
        await page.getByRole("heading", { name: "Requests", exact: true }).waitFor();
        const table = page.getByRole("table", { name: "Requests, with who asked" });
        await expect.poll(() => table.getByRole("columnheader").allTextContents()).toContain("Requester");
        const row = table
          .getByRole("row")
          .filter({ has: page.getByRole("link", { name: `Request ${ids.review}` }) });
        await expect.poll(() => row.textContent()).toContain("Dana Peering");
        expect(await row.textContent()).toContain("PeeringDB");
        const colleagueRow = table
          .getByRole("row")
          .filter({ has: page.getByRole("link", { name: `Request ${ids.colleague}` }) });
        expect(await colleagueRow.textContent()).toContain("Erin Colleague");
        violations.push(...(await captureScreen(page, "admin-requests")));

        await page.goto(`${web.origin}/admin/requests/${ids.review}`);
        const who = page.locator('section[aria-labelledby="who-title"]');
        await who.waitFor();
        expect(await who.textContent()).toContain("Dana Peering");
        expect(await who.textContent()).toContain("PeeringDB");

        // The worker looked the ASN up at submission: the record and its age.
        const record = page.locator('section[aria-labelledby="pdb-title"]');
        await expect.poll(() => record.textContent(), { timeout: 30_000 }).toContain("Example Network");
        const recordText = (await record.textContent()) ?? "";
        expect(recordText).toContain("Example Holdings");
        expect(recordText).toMatch(/IPv4 120 · IPv6 40/);
        expect(recordText).toMatch(/Read \d+ s ago|Read \d+ min ago/);

        // Opening the page asked the controller again; the node asked to join: seen.
        const node = page.locator('section[aria-labelledby="node-title"]');
        await expect.poll(() => node.textContent(), { timeout: 30_000 }).toContain("Yes.");
        expect(await node.textContent()).toContain("unauthorized, on the controller");
        // A check was just asked for: the next one waits out the 30 s throttle.
        const again = node.getByRole("button", { name: "Check again" });
        await expect.poll(() => again.isDisabled()).toBe(true);

        const others = page.locator('section[aria-labelledby="asn-title"]');
        const othersText = (await others.textContent()) ?? "";
        expect(othersText).toContain("1 membership, 1 other request");
        expect(othersText).toContain("Erin Colleague");
        expect(othersText).toContain(nodes.colleague);
        await others.getByText("Active", { exact: true }).waitFor();
        // The page's one status badge is this request's own (pages wait on it).
        expect(await page.locator("[data-status]").count()).toBe(1);
        // Names, never raw user ids.
        const body = (await page.textContent("body")) ?? "";
        const stored = (await getRequest(stack.data, ids.review))!;
        expect(body).not.toContain(stored.userId);

        // No route servers here: approving says what is true, and mentions none.
        await page.getByRole("button", { name: "Approve" }).click();
        const dialog = page.getByRole("dialog");
        await dialog.waitFor();
        expect(await dialog.textContent()).toContain("This network has no route servers");
        expect(await dialog.textContent()).toContain("ZT-IX LAN");
        await dialog.getByRole("button", { name: "Cancel" }).click();

        violations.push(...(await captureScreen(page, "admin-review-context")));

        // The colleague's request: its node never asked.
        await page.goto(`${web.origin}/admin/requests/${ids.colleague}`);
        const notSeen = page.locator('section[aria-labelledby="node-title"]');
        await expect.poll(() => notSeen.textContent(), { timeout: 30_000 }).toContain("Not yet.");
        expect(await notSeen.textContent()).toContain(`zerotier-cli join ${lanId}`);
        // Opening the page may itself ask the controller again: once it has answered, its age shows.
        await expect.poll(() => notSeen.textContent(), { timeout: 30_000 }).toMatch(/Last checked \d+ s ago/);
        violations.push(...(await captureScreen(page, "admin-review-not-seen")));
        // Then the node asks; once the throttle has passed, "Check again" shows it.
        emulator.simulateJoin(lanId, nodes.colleague);
        const button = notSeen.getByRole("button", { name: "Check again" });
        await expect.poll(() => button.isEnabled(), { timeout: 40_000, interval: 500 }).toBe(true);
        await button.click();
        await expect.poll(() => notSeen.textContent(), { timeout: 30_000 }).toContain("Yes.");
      } finally {
        await page.context().close();
      }
      expect(violations).toEqual([]);
    }, 180_000);
  },
);
