import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { createLogger } from "@ztix/core";
import { createRequest, type JoinRequestItem, transitionRequest } from "@ztix/data";
import { type SshdInstance, sshdPresent, startSshd } from "@ztix/local-stack";
import { RouteServerConnections } from "@ztix/route-servers";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Poller, startPoller } from "../../functions/worker/src/poller.ts";
import { birdc } from "../../packages/route-servers/test/support/bird.ts";
import {
  LG_LAN,
  type LgLab,
  type LgMemberSpec,
  startLookingGlassLab,
} from "../../packages/route-servers/test/support/looking-glass-lab.ts";
import { eventually } from "../../packages/route-servers/test/support/processes.ts";
import { seedActiveMember } from "../../test/support/active-member.ts";
import { TEST_NETWORK_ID } from "../../test/support/config.ts";
import { type TestStack, testStack } from "../../test/support/stack.ts";
import { canUseNetns, hasCommand, requireSystem } from "../../test/support/system.ts";
import {
  type AxeViolation,
  captureScreen,
  chromiumPresent,
  launchChromium,
  WIDTHS,
} from "./support/browser.ts";
import { PASSWORD, seedLocalAccount } from "./support/people.ts";
import { startWebServer, type WebServer } from "./support/server.ts";

/**
 * The operator's view of a membership in Chromium, on the real API and DynamoDB Local: the
 * join command with the real network id, the interface facts, router snippets (copied to the
 * clipboard), the route servers' policy in words, the live-session and looking-glass panels,
 * and notices true of each status. Requests are written through the repository and moved
 * through the real transitions, so no worker or route server is needed: the route servers
 * exist in the config (what the page reads), not as processes.
 */

/** A network with two route servers, and one (the lab) that no route server serves. */
const LAB_NETWORK_ID = "8056c2e21c000002";
const ssh = {
  host: "127.0.0.1",
  user: "ztix",
  host_key_fingerprint: `SHA256:${"A".repeat(43)}`,
  private_key: { secret: "rs-key" },
};
const routeServer = (n: number) => ({
  id: `rs${n}`,
  asn: 64499,
  router_id: `192.0.2.${n}`,
  networks: ["000001"],
  peering_ipv4: `192.0.2.${n}`,
  peering_ipv6: `2001:db8:100::${n}`,
  ssh,
});
const CONFIG = {
  networks: [
    {
      suffix: "000001",
      name: "ZT-IX LAN",
      mtu: 2800,
      ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.250" },
      ipv6: { prefix: "2001:db8:100::/64", scheme: "asn_embedded" as const },
    },
    {
      suffix: "000002",
      name: "ZT-IX Lab",
      ipv4: { prefix: "198.51.100.0/24", pool_start: "198.51.100.10", pool_end: "198.51.100.250" },
    },
  ],
  route_servers: [routeServer(1), routeServer(2)],
  route_server_policy: { allow_documentation_resources: true },
};

/** Whether the live-session backend (another part of issue 14) is in this tree yet. */
const sessionsBackend = existsSync(
  resolve(import.meta.dirname, "../../functions/api/src/routes/sessions.ts"),
);

let nodeCounter = 0x3b_0000_0000;
const nextNodeId = () => (++nodeCounter).toString(16).padStart(10, "0");

const present = requireSystem("chromium", chromiumPresent());

describe.skipIf(!present)("the operator's view of a membership", () => {
  let stack: TestStack;
  let web: WebServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const openPages: Page[] = [];
  const people: Record<string, { userId: string }> = {};

  beforeAll(async () => {
    stack = await testStack({ secrets: { "rs-key": "unused: no route server is reached" } });
    people.dana = await seedLocalAccount(stack.data, {
      username: "dana",
      asns: [{ asn: 64500, name: "Dana Networks" }],
    });
    people.erin = await seedLocalAccount(stack.data, {
      username: "erin",
      asns: [{ asn: 64501, name: "Erin Hosting" }],
    });
    web = await startWebServer(stack, CONFIG);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await web?.close();
  });

  afterEach(async () => {
    for (const p of openPages.splice(0)) await p.close().catch(() => {});
  });

  const signedIn = new Map<string, BrowserContext>();
  /** A page where `username` has signed in through the login form (once per run). */
  async function pageAs(username: string): Promise<Page> {
    let context = signedIn.get(username);
    if (!context) {
      context = await browser.newContext({ viewport: WIDTHS.large });
      contexts.push(context);
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: web.origin });
      // What the copy buttons hand the clipboard, as the page saw it.
      await context.addInitScript(`{
        const write = navigator.clipboard.writeText.bind(navigator.clipboard);
        navigator.clipboard.writeText = (text) => { window.ztixCopied = text; return write(text); };
      }`);
      const page = await context.newPage();
      openPages.push(page);
      await page.goto(`${web.origin}/login`);
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/dashboard$/);
      signedIn.set(username, context);
      return page;
    }
    const page = await context.newPage();
    openPages.push(page);
    return page;
  }

  const system = { actorType: "system" as const, actorId: "web-test", visibility: "operator" as const };

  /** A request of `user` moved to `status` through the real transitions; active ones get addresses and route-server state. */
  async function seedRequest(
    user: "dana" | "erin",
    asn: number,
    status: "pending" | "active" | "rejected" | "cancelled",
    networkId = TEST_NETWORK_ID,
  ): Promise<JoinRequestItem> {
    let r = await createRequest(
      stack.data,
      { userId: people[user]!.userId, asn, networkId, nodeId: nextNodeId() },
      { actorType: "user", actorId: people[user]!.userId },
    );
    if (status === "rejected") {
      return transitionRequest(stack.data, r, "reject", {
        set: { rejectReason: "The ASN is not yet in PeeringDB." },
        audit: { ...system, actorType: "admin" },
      });
    }
    if (status === "cancelled") return transitionRequest(stack.data, r, "cancel", { audit: system });
    if (status === "pending") return r;
    r = await transitionRequest(stack.data, r, "approve", { audit: { ...system, actorType: "admin" } });
    r = await transitionRequest(stack.data, r, "start", { audit: system });
    r = await transitionRequest(stack.data, r, "complete", { audit: system });
    const now = new Date().toISOString();
    const lan = networkId === TEST_NETWORK_ID;
    await stack.data.entities.membership
      .create({
        requestId: r.requestId,
        networkId,
        nodeId: r.nodeId,
        asn,
        memberName: `AS${asn}`,
        ipv4: lan ? "192.0.2.10" : "198.51.100.10",
        ...(lan ? { ipv6: `2001:db8:100::6:${String(asn).slice(1)}:1` } : {}),
        authorized: true,
        createdAt: now,
        updatedAt: now,
      })
      .go();
    if (lan) {
      for (const rs of ["rs1", "rs2"]) {
        await stack.data.entities.routeServerSync
          .create({
            requestId: r.requestId,
            routeServerId: rs,
            fileName: `AS${asn}_000001_${r.nodeId}.conf`,
            state: "in_sync",
            observedAt: now,
            updatedAt: now,
          })
          .go();
      }
    }
    return r;
  }

  it("shows an active member how to connect, its snippets, policy, sessions and looking glass", async () => {
    const violations: AxeViolation[] = [];
    const request = await seedRequest("dana", 64500, "active");
    const page = await pageAs("dana");
    await page.goto(`${web.origin}/requests/${request.requestId}`);
    await page.locator('[data-status="active"]').first().waitFor();

    // The join command names the real network id, with a copy button that copies it.
    const connect = page.getByRole("region", { name: "Connect your router" });
    await connect.getByText(`zerotier-cli join ${TEST_NETWORK_ID}`, { exact: true }).waitFor();
    await connect.getByRole("button", { name: "Copy join command" }).click();
    await expect.poll(() => page.evaluate("window.ztixCopied")).toBe(`zerotier-cli join ${TEST_NETWORK_ID}`);
    expect(await page.getByText("<network id>").count()).toBe(0);
    // The network's name, the addresses with the LAN's prefix lengths, and the MTU.
    await connect.getByText(/On the router, join "ZT-IX LAN"/).waitFor();
    expect((await connect.locator("dd", { hasText: "192.0.2.10" }).textContent())?.trim()).toMatch(
      /^192\.0\.2\.10\/24/,
    );
    expect(await connect.locator("dd", { hasText: "2001:db8:100::6:4500:1" }).textContent()).toContain("/64");
    await connect.getByText("2800", { exact: true }).waitFor();
    await connect.getByRole("button", { name: "Copy IPv4 address with prefix length" }).click();
    await expect.poll(() => page.evaluate("window.ztixCopied")).toBe("192.0.2.10/24");

    // Each route server by name with its ASN and addresses, configured.
    const sessions = page.getByRole("region", { name: "Route-server sessions" });
    for (const n of [1, 2]) {
      await sessions.getByText(`rs${n}`, { exact: true }).waitFor();
      await sessions.getByText(`2001:db8:100::${n}`, { exact: true }).waitFor();
    }
    expect(await sessions.getByText("AS64499", { exact: true }).count()).toBe(2);
    expect(await sessions.getByText("Configured", { exact: true }).count()).toBe(2);

    // Router snippets: one tab per platform; the copy button hands over the BIRD snippet.
    const snippets = page.getByRole("region", { name: "Router configuration" });
    const tabs = snippets.getByRole("tab");
    await tabs.first().waitFor();
    expect(await tabs.allTextContents()).toEqual([
      "BIRD 2",
      "FRR",
      "Junos",
      "Cisco IOS-XR",
      "MikroTik RouterOS 7",
    ]);
    const bird = (
      await (await page.request.get(`${web.origin}/api/v1/requests/${request.requestId}/snippets`)).json()
    ).snippets.bird as string;
    expect(bird).toContain("neighbor 192.0.2.1 as 64499;");
    expect(await snippets.locator("pre").textContent()).toBe(bird);
    await snippets.getByRole("button", { name: "Copy BIRD 2 snippet" }).click();
    await expect.poll(() => page.evaluate("window.ztixCopied")).toBe(bird);
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(bird);
    // The button says so, and keeps its name in line with what it shows.
    await snippets.getByRole("button", { name: "Copied BIRD 2 snippet" }).waitFor();
    // The keyboard moves between tabs; each shows its own platform.
    await snippets.getByRole("tab", { name: "BIRD 2" }).focus();
    await page.keyboard.press("ArrowRight");
    expect(await snippets.getByRole("tab", { name: "FRR" }).getAttribute("aria-selected")).toBe("true");
    expect(await snippets.locator("pre").textContent()).toContain("router bgp 64500");
    await snippets.getByRole("tab", { name: "MikroTik RouterOS 7" }).click();
    expect(await snippets.locator("pre").textContent()).toContain("/routing bgp connection");

    // The policy in words: limits with their source, IRR, filters, communities, the route servers' ASN.
    const policy = page.getByRole("region", { name: "What the route servers do with your routes" });
    await policy.getByText(/Up to\s+100\s+prefixes/).waitFor();
    await policy.getByText(/Up to\s+50\s+prefixes/).waitFor();
    expect(
      await policy.getByText(/the exchange's default: your PeeringDB record gives no IPv4/).count(),
    ).toBe(1);
    await policy.getByText(/use AS64499/).waitFor();
    await policy.getByText(/Prefix lengths from \/8 to \/24 \(IPv4\)/).waitFor();
    await policy.getByText(/RPKI invalid routes are rejected/).waitFor();
    await policy.getByText(/accepted, but marked as not registered/).waitFor();
    await policy.getByRole("cell", { name: "64499:0:peer", exact: true }).waitFor();
    await policy.getByRole("cell", { name: "0:64499", exact: true }).waitFor();

    // Live sessions: the panel asks for a fresh read on open and says what it knows.
    const live = page.getByRole("region", { name: "BGP sessions, live" });
    if (sessionsBackend) {
      // Nothing collects here (no worker): each route server is "not collected yet", its
      // configuration a separate fact from the session.
      await live.getByText("Not collected yet").first().waitFor();
    } else {
      await live.getByText("Live session state is not available on this exchange yet.").waitFor();
    }

    // The looking glass: a form over the member's own sessions.
    const glass = page.getByRole("region", { name: "Looking glass" });
    await glass.getByLabel("Show").selectOption("lookup");
    await glass.getByRole("button", { name: "Show routes" }).click();
    await glass.getByText("Enter a prefix or an address").waitFor();
    expect(await glass.getByLabel("Prefix or address").getAttribute("aria-invalid")).toBe("true");
    violations.push(...(await captureScreen(page, "member-active")));
    expect(violations).toEqual([]);
  }, 90_000);

  it("renders live sessions and looking-glass answers of the API's contract: both facts, ages, reasons in words", async () => {
    // The contract's shapes, served in place of the backend (which needs BIRD sessions with a
    // member router to fill them): what each state looks like, checked and looked at.
    const request = await seedRequest("dana", 64500, "active");
    const page = await pageAs("dana");
    const base = `${web.origin}/api/v1/requests/${request.requestId}`;
    const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    await page.route(`${base}/sessions`, (route) =>
      route.fulfill({
        json: {
          route_servers: [
            {
              route_server_id: "rs1",
              asn: 64499,
              configured: true,
              collected_at: ago(40),
              age_seconds: 40,
              reachable: true,
              sessions: [
                {
                  family: "ipv4",
                  protocol: `m_as64500_000001_${request.nodeId}_v4`,
                  state: "Established",
                  established: true,
                  since: ago(3600),
                  info: null,
                  routes: { received: 3, accepted: 2, filtered: 1, exported: 120 },
                  receive_limit: 100,
                  limit_hit: false,
                },
                {
                  family: "ipv6",
                  protocol: `m_as64500_000001_${request.nodeId}_v6`,
                  state: "Active",
                  established: false,
                  since: ago(600),
                  info: "Socket: Connection refused",
                  routes: { received: 0, accepted: 0, filtered: 0, exported: 0 },
                  receive_limit: 50,
                  limit_hit: false,
                },
              ],
            },
            {
              route_server_id: "rs2",
              asn: 64499,
              configured: false,
              collected_at: null,
              age_seconds: null,
              reachable: null,
              sessions: [],
            },
          ],
        },
      }),
    );
    await page.route(`${base}/sessions/refresh`, (route) =>
      route.fulfill({ status: 202, json: { queued: [], fresh: ["rs1", "rs2"] } }),
    );
    const asked: unknown[] = [];
    await page.route(`${base}/looking-glass`, (route) => {
      asked.push(route.request().postDataJSON());
      return route.fulfill({ status: 202, json: { query_id: `q${asked.length}`, status: "pending" } });
    });
    let polls = 0;
    await page.route(`${base}/looking-glass/*`, (route) =>
      route.fulfill({
        json:
          ++polls === 1
            ? { status: "pending", routes: [], truncated: false, collected_at: null, error: null }
            : {
                status: "done",
                truncated: false,
                collected_at: ago(1),
                error: null,
                routes: [
                  {
                    prefix: "198.51.100.0/24",
                    family: "ipv4",
                    next_hop: "192.0.2.10",
                    as_path: [64500],
                    communities: [],
                    large_communities: [[64499, 1000, 1]],
                    filtered: false,
                    reasons: [],
                    info: [
                      { code: 1, text: "RPKI valid: a ROA covers the prefix for this origin AS and length." },
                    ],
                  },
                  {
                    prefix: "203.0.113.0/25",
                    family: "ipv4",
                    next_hop: "192.0.2.10",
                    as_path: [64500],
                    communities: ["64500:100"],
                    large_communities: [[64499, 1101, 1]],
                    filtered: true,
                    reasons: [
                      {
                        code: 1,
                        text: "The prefix is more specific than the route server accepts for its address family.",
                      },
                    ],
                    info: [],
                  },
                ],
              },
      }),
    );
    await page.goto(`${web.origin}/requests/${request.requestId}`);
    const live = page.getByRole("region", { name: "BGP sessions, live" });
    const rs1 = live.locator('[data-route-server="rs1"]');
    await rs1.getByText("Applied: the route server has your sessions").waitFor();
    await rs1.getByText(/^collected 4\d s ago$/).waitFor();
    await rs1.locator('[data-family="ipv4"]').getByText("Established", { exact: true }).waitFor();
    await rs1
      .locator('[data-family="ipv6"]')
      .getByText("Not established (Active)", { exact: true })
      .waitFor();
    await rs1.getByText("Socket: Connection refused").waitFor();
    expect(await rs1.locator('[data-family="ipv4"] td[data-label="Sent to you"]').textContent()).toBe("120");
    const rs2 = live.locator('[data-route-server="rs2"]');
    await rs2.getByText("Not collected yet").waitFor();
    await rs2.getByText("Not applied on this route server yet").waitFor();

    const glass = page.getByRole("region", { name: "Looking glass" });
    await glass.getByLabel("Show").selectOption("received");
    await glass.getByLabel("Route server").selectOption("rs1");
    await glass.getByRole("button", { name: "Show routes" }).click();
    const answer = glass.getByRole("region", { name: "Routes you sent on rs1" });
    await answer.getByText("2 routes", { exact: false }).waitFor();
    expect(asked).toEqual([{ route_server_id: "rs1", view: "received" }]);
    const filtered = answer.locator("li.filtered");
    await filtered.getByText("Filtered", { exact: true }).waitFor();
    await filtered
      .getByText("The prefix is more specific than the route server accepts for its address family.")
      .waitFor();
    await answer.getByText("RPKI valid: a ROA covers the prefix for this origin AS and length.").waitFor();
    expect(await captureScreen(page, "member-sessions-contract")).toEqual([]);
  }, 90_000);

  it("tells an active member on a network without route servers to peer directly, and offers no snippets", async () => {
    const request = await seedRequest("dana", 64500, "active", LAB_NETWORK_ID);
    const page = await pageAs("dana");
    await page.goto(`${web.origin}/requests/${request.requestId}`);
    await page.locator('[data-status="active"]').first().waitFor();
    await page.getByText(`zerotier-cli join ${LAB_NETWORK_ID}`, { exact: true }).waitFor();
    await page
      .getByText(/No route servers are configured for this network: peer with other members directly/)
      .waitFor();
    expect(await page.getByText(/once the request is provisioned|appear here once/).count()).toBe(0);
    expect(await page.getByRole("region", { name: "Router configuration" }).count()).toBe(0);
    expect(await page.getByRole("region", { name: "BGP sessions, live" }).count()).toBe(0);
    // The lab's default MTU, and its IPv4 prefix length.
    const connect = page.getByRole("region", { name: "Connect your router" });
    expect(await connect.locator("dd", { hasText: "198.51.100.10" }).textContent()).toContain("/24");
    await connect.getByText("2800", { exact: true }).waitFor();
    expect(await captureScreen(page, "member-active-no-route-servers")).toEqual([]);
  }, 60_000);

  it("says what is true of a rejected, a cancelled and a pending request", async () => {
    const violations: AxeViolation[] = [];
    const page = await pageAs("dana");
    const rejected = await seedRequest("dana", 64500, "rejected");
    await page.goto(`${web.origin}/requests/${rejected.requestId}`);
    await page.locator('[data-status="rejected"]').first().waitFor();
    await page.getByText("The ASN is not yet in PeeringDB.").first().waitFor();
    await page.getByText("No addresses were assigned: the request was rejected.", { exact: true }).waitFor();
    await page.getByText("No BGP sessions: the request was rejected.", { exact: true }).waitFor();
    expect(await page.getByText(/appear here once|once provisioned/).count()).toBe(0);
    expect(await page.getByRole("region", { name: "Connect your router" }).count()).toBe(0);
    violations.push(...(await captureScreen(page, "member-rejected")));

    const cancelled = await seedRequest("dana", 64500, "cancelled");
    await page.goto(`${web.origin}/requests/${cancelled.requestId}`);
    await page.locator('[data-status="cancelled"]').first().waitFor();
    await page.getByText("No addresses were assigned: the request was cancelled.", { exact: true }).waitFor();
    await page.getByText("No BGP sessions: the request was cancelled.", { exact: true }).waitFor();
    expect(await page.getByText(/appear here once|once provisioned/).count()).toBe(0);

    const pending = await seedRequest("dana", 64500, "pending");
    await page.goto(`${web.origin}/requests/${pending.requestId}`);
    await page.locator('[data-status="pending"]').first().waitFor();
    await page.getByText("Addresses are assigned once the request is approved and provisioned.").waitFor();
    expect(await page.getByRole("region", { name: "Router configuration" }).count()).toBe(0);

    // The dashboard names the network on every row, and its subtitle keeps the space between its sentences.
    await page.goto(`${web.origin}/dashboard`);
    await page
      .getByText(
        "Requests for your ASNs, newest first. Refreshes by itself while a request is in progress.",
        {
          exact: true,
        },
      )
      .waitFor();
    const row = page
      .getByRole("row")
      .filter({ has: page.getByRole("link", { name: `Request ${pending.requestId}` }) });
    await row.getByText("ZT-IX LAN", { exact: true }).waitFor();
    violations.push(...(await captureScreen(page, "member-dashboard")));
    expect(violations).toEqual([]);
  }, 60_000);

  it("shows another operator's membership as not found, and none of its peering", async () => {
    const theirs = await seedRequest("erin", 64501, "active");
    const page = await pageAs("dana");
    await page.goto(`${web.origin}/requests/${theirs.requestId}`);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    expect(await page.getByText(theirs.nodeId).count()).toBe(0);
    expect(await page.getByText(/zerotier-cli join/).count()).toBe(0);
    // The API behind the panels answers the same for that request.
    for (const path of ["snippets", "policy"]) {
      const res = await page.request.get(`${web.origin}/api/v1/requests/${theirs.requestId}/${path}`);
      expect(res.status(), path).toBe(404);
    }
    expect(await captureScreen(page, "member-not-found")).toEqual([]);
  }, 60_000);
});

/**
 * The same page on a real route server: a BIRD route server and two member routers (BIRDs in
 * network namespaces, the looking-glass lab of @ztix/route-servers), read by the real worker
 * over a real sshd. The operator sees its sessions Established, what it sent (accepted and
 * filtered, with each reason in words) and what the route server sends it.
 */
const liveLab =
  sessionsBackend &&
  requireSystem("chromium", chromiumPresent()) &&
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("ip netns", canUseNetns()) &&
  requireSystem("sshd", sshdPresent());

const labMembers: LgMemberSpec[] = [
  {
    name: "a",
    asn: 64501,
    nodeId: "a000000001",
    ipv4: "192.0.2.11",
    ipv6: "2001:db8::11",
    announce: [
      { prefix: "198.51.100.0/24" },
      { prefix: "203.0.113.0/25" }, // longer than /24: reason 1
      { prefix: "10.10.0.0/16" }, // private space: reason 3
      { prefix: "2001:db8:100::/48" },
    ],
  },
  {
    name: "b",
    asn: 64502,
    nodeId: "b000000002",
    ipv4: "192.0.2.12",
    ipv6: "2001:db8::12",
    announce: [{ prefix: "203.0.113.0/24" }, { prefix: "2001:db8:400::/48" }],
  },
];

describe.skipIf(!liveLab)("the operator's view of a membership on a real route server", () => {
  let dir: string;
  let lab: LgLab;
  let sshd: SshdInstance;
  let stack: TestStack;
  let web: WebServer;
  let browser: Browser;
  let poller: Poller;
  let connections: RouteServerConnections;
  let requestId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ztix-web-live-"));
    lab = await startLookingGlassLab({
      dir,
      roas: [{ prefix: "198.51.100.0/24", maxLength: 24, asn: 64501 }],
      members: labMembers,
    });
    mkdirSync(join(dir, "ssh"));
    sshd = await startSshd(join(dir, "ssh"));
    stack = await testStack({ secrets: { "rs-key": sshd.userPrivateKey } });
    const ssh = {
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      host_key_fingerprint: sshd.hostKeyFingerprint,
      private_key: { secret: "rs-key" },
    };
    const rs = {
      ...lab.rsConfig,
      id: "lg-rs",
      ssh,
      peering_ipv4: [LG_LAN.rs4],
      peering_ipv6: [LG_LAN.rs6],
    };
    web = await startWebServer(stack, {
      networks: [
        {
          suffix: "000001",
          name: "ZT-IX LAN",
          ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.200" },
          ipv6: { prefix: "2001:db8::/64" },
        },
      ],
      route_servers: [rs],
    });
    const operator = await seedLocalAccount(stack.data, {
      username: "gina",
      asns: [{ asn: 64501, name: "Lab A" }],
    });
    await seedLocalAccount(stack.data, { username: "hank-admin", isAdmin: true });
    const [a, b] = labMembers as [LgMemberSpec, LgMemberSpec];
    requestId = await seedActiveMember(stack.data, {
      asn: a.asn,
      nodeId: a.nodeId,
      networkId: TEST_NETWORK_ID,
      ipv4: a.ipv4,
      ipv6: a.ipv6,
      inSyncOn: ["lg-rs"],
      userId: operator.userId,
    });
    await seedActiveMember(stack.data, {
      asn: b.asn,
      nodeId: b.nodeId,
      networkId: TEST_NETWORK_ID,
      ipv4: b.ipv4,
      ipv6: b.ipv6,
      inSyncOn: ["lg-rs"],
    });
    const now = new Date().toISOString();
    await stack.data.entities.membership
      .create({
        requestId,
        networkId: TEST_NETWORK_ID,
        nodeId: a.nodeId,
        asn: a.asn,
        memberName: `AS${a.asn}`,
        ipv4: a.ipv4,
        ipv6: a.ipv6,
        authorized: true,
        createdAt: now,
        updatedAt: now,
      })
      .go();
    // Both of A's sessions up, with B's routes to send it, before the page is opened.
    await eventually(
      async () => {
        for (const family of ["ipv4", "ipv6"] as const) {
          const out = await birdc(lab.rs.socket, `show protocols all ${lab.protocol("a", family)}`);
          if (
            !/Established/.test(out) ||
            !/Routes:\s+\d+ imported, \d+ filtered, [1-9]\d* exported/.test(out)
          )
            return false;
        }
        return true;
      },
      "A's sessions established with B's routes exported to it",
      60_000,
    );
    const secrets = fileSecretStore(stack.secretsPath);
    connections = new RouteServerConnections(secrets);
    poller = startPoller({
      deps: {
        config: web.config,
        data: stack.data,
        secrets,
        provider: () => {
          throw new Error("no controller in this test");
        },
        sqs: stack.sqs,
        queueUrl: stack.queueUrl,
        connections,
        log: createLogger({ level: "error", sink: () => undefined }),
        now: () => new Date(),
      },
      sqs: stack.sqs,
      queueUrl: stack.queueUrl,
      waitTimeSeconds: 1,
      loops: 2,
    });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await poller?.stop();
    await connections?.closeAll();
    await web?.close();
    await sshd?.stop();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows Established sessions read from BIRD, and received, filtered and exported routes in words", async () => {
    const context = await browser.newContext({ viewport: WIDTHS.large });
    try {
      const page = await context.newPage();
      await page.goto(`${web.origin}/login`);
      await page.getByLabel("Username").fill("gina");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/dashboard$/);
      await page.goto(`${web.origin}/requests/${requestId}`);

      // Opening the page asks the worker for a fresh read; the panel shows it when it lands.
      const live = page.getByRole("region", { name: "BGP sessions, live" });
      const rs = live.locator('[data-route-server="lg-rs"]');
      await rs.getByText(/^collected \d+ s ago$/).waitFor({ timeout: 45_000 });
      await rs.getByText("Applied: the route server has your sessions").waitFor();
      for (const family of ["ipv4", "ipv6"]) {
        await rs.locator(`[data-family="${family}"]`).getByText("Established", { exact: true }).waitFor();
      }
      const v4 = rs.locator('[data-family="ipv4"]');
      expect(await v4.locator('td[data-label="Received"]').textContent()).toBe("3");
      expect(await v4.locator('td[data-label="Filtered"]').textContent()).toBe("2");
      expect(await v4.locator('td[data-label="Sent to you"]').textContent()).toBe("1");

      // What it sent: the refused routes with their reasons in words, and the accepted one.
      const glass = page.getByRole("region", { name: "Looking glass" });
      // One route server: it is the one chosen (no "all" to offer).
      expect(await glass.getByLabel("Route server").inputValue()).toBe("lg-rs");
      await glass.getByLabel("Show").selectOption("received");
      await glass.getByRole("button", { name: "Show routes" }).click();
      const sent = glass.getByRole("region", { name: "Routes you sent on lg-rs" });
      await sent.getByText(/^\d+ routes/).waitFor({ timeout: 30_000 });
      const route = (prefix: string) => sent.locator("li", { has: page.getByText(prefix, { exact: true }) });
      await route("203.0.113.0/25").getByText("Filtered", { exact: true }).waitFor();
      await route("203.0.113.0/25")
        .getByText("The prefix is more specific than the route server accepts for its address family.")
        .waitFor();
      await route("10.10.0.0/16")
        .getByText(/The prefix is a bogon/)
        .waitFor();
      await route("198.51.100.0/24").getByText("Accepted", { exact: true }).waitFor();
      await route("198.51.100.0/24")
        .getByText(/^RPKI valid/)
        .waitFor();
      // Never another member's routes among its own.
      expect(await sent.getByText("203.0.113.0/24", { exact: true }).count()).toBe(0);

      // What the route server sends it: B's routes, with B's next hop.
      await glass.getByLabel("Show").selectOption("exported");
      await glass.getByRole("button", { name: "Show routes" }).click();
      const received = glass.getByRole("region", { name: "Routes sent to you on lg-rs" });
      await received.getByText("203.0.113.0/24", { exact: true }).waitFor({ timeout: 30_000 });
      await received.getByText("192.0.2.12", { exact: true }).waitFor();
      // Other members' routes carry no accepted/filtered verdict: that is the sender's business.
      expect(await received.getByText("Accepted", { exact: true }).count()).toBe(0);
      expect(await captureScreen(page, "member-live-bird")).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
  it("shows an admin the same live sessions and looking glass on the request's admin page", async () => {
    const context = await browser.newContext({ viewport: WIDTHS.large });
    try {
      const page = await context.newPage();
      await page.goto(`${web.origin}/login`);
      await page.getByLabel("Username").fill("hank-admin");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/(dashboard|admin\/requests)/);
      const asked: string[] = [];
      page.on("request", (r) => {
        if (/\/(sessions|looking-glass)/.test(r.url())) asked.push(new URL(r.url()).pathname);
      });
      await page.goto(`${web.origin}/admin/requests/${requestId}`);

      const live = page.getByRole("region", { name: "BGP sessions, live" });
      const rs = live.locator('[data-route-server="lg-rs"]');
      await rs.getByText("Applied: the route server has the member's sessions").waitFor({ timeout: 45_000 });
      for (const family of ["ipv4", "ipv6"]) {
        await rs.locator(`[data-family="${family}"]`).getByText("Established", { exact: true }).waitFor();
      }
      const glass = page.getByRole("region", { name: "Looking glass" });
      await glass.getByLabel("Show").selectOption("filtered");
      await glass.getByRole("button", { name: "Show routes" }).click();
      const filtered = glass.getByRole("region", {
        name: "Routes of the member that were filtered on lg-rs",
      });
      await filtered.getByText("203.0.113.0/25", { exact: true }).waitFor({ timeout: 30_000 });
      // Read through the admin routes, never the operator's.
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((p) => p.startsWith("/api/v1/admin/requests/"))).toBe(true);
    } finally {
      await context.close();
    }
  }, 120_000);
});
