import { createRequest, getRequest } from "@ztix/data";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type OidcStandIn, startOidcStandIn } from "../../functions/scripts/src/oidc-standin.ts";
import { protocolStates } from "../../packages/route-servers/test/support/bird.ts";
import { type TestStack, testStack } from "../../test/support/stack.ts";
import { requireSystem } from "../../test/support/system.ts";
import {
  type AxeViolation,
  captureScreen,
  chromiumPresent,
  launchChromium,
  WIDTHS,
} from "./support/browser.ts";
import { PASSWORD, seedLocalAccount } from "./support/people.ts";
import {
  NETWORKS,
  type ProvisioningBackends,
  type RunningWorker,
  routeServerToolsPresent,
  startProvisioningBackends,
  startWorker,
} from "./support/provisioning.ts";
import { startWebServer, type WebServer } from "./support/server.ts";

const CLIENT_ID = "ztix-web-test";
const CLIENT_SECRET = "web-test-client-secret";

let nodeCounter = 0x2a_0000_0000;
const nextNodeId = () => (++nodeCounter).toString(16).padStart(10, "0");

const present =
  requireSystem("chromium", chromiumPresent()) && requireSystem("bird and sshd", routeServerToolsPresent());

describe.skipIf(!present)("the web app in a real browser", () => {
  let stack: TestStack;
  let web: WebServer;
  let idp: OidcStandIn;
  let browser: Browser;
  let backends: ProvisioningBackends;
  let worker: RunningWorker;
  /** The LAN's id on the controller emulator (its address + the suffix), from preflight. */
  let lanId: string;
  const contexts: BrowserContext[] = [];
  const people: Record<string, { userId: string }> = {};

  beforeAll(async () => {
    backends = await startProvisioningBackends();
    stack = await testStack({ secrets: { peeringdb_client_secret: CLIENT_SECRET, ...backends.secrets } });
    people.alice = await seedLocalAccount(stack.data, {
      username: "alice",
      asns: [{ asn: 64500, name: "Example Network" }],
    });
    // Admin pages name people by display name, never by user id.
    await stack.data.entities.user
      .patch({ userId: people.alice!.userId })
      .set({ displayName: "Alice Example" })
      .go();
    people.bob = await seedLocalAccount(stack.data, {
      username: "bob",
      asns: [{ asn: 64510, name: "Other Network" }],
    });
    people.carol = await seedLocalAccount(stack.data, {
      username: "carol",
      asns: [
        { asn: 64505, name: "Carol Transit" },
        { asn: 64506, name: "Carol Content" },
      ],
    });
    people.admin = await seedLocalAccount(stack.data, { username: "admin", isAdmin: true });
    web = await startWebServer(stack, async (origin) => {
      idp = await startOidcStandIn({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUris: [`${origin}/auth/callback`],
      });
      return {
        ...backends.config,
        auth: { peeringdb: { issuer: idp.issuer, client_id: CLIENT_ID } },
      } as never;
    });
    // The worker shares the API's config, as both read the same runtime config when deployed.
    worker = await startWorker(stack, web.config);
    lanId = worker.networkIds[NETWORKS.lan.suffix]!;
    expect(lanId).toBe(`${backends.emulator.address}${NETWORKS.lan.suffix}`);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await worker?.stop();
    await idp?.stop();
    await web?.close();
    await backends?.stop();
  });

  // Pages left open keep polling the API; each test closes the ones it opened.
  const openPages: Page[] = [];
  afterEach(async () => {
    for (const p of openPages.splice(0)) await p.close().catch(() => {});
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: WIDTHS.large });
    contexts.push(context);
    const page = await context.newPage();
    openPages.push(page);
    return page;
  }

  const signedIn = new Map<string, BrowserContext>();
  /** A page in a browser where `username` has signed in through the login form (once per run). */
  async function pageAs(username: string): Promise<Page> {
    let context = signedIn.get(username);
    if (!context) {
      const page = await newPage();
      await signIn(page, username);
      context = page.context();
      signedIn.set(username, context);
      return page;
    }
    const page = await context.newPage();
    openPages.push(page);
    return page;
  }

  async function signIn(page: Page, username: string, expectPath = /\/(dashboard|admin\/requests)$/) {
    await page.goto(`${web.origin}/login`);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(expectPath);
  }

  /**
   * Waits (through the page's own polling) until the page shows the request in `status`. On a
   * timeout the error says where the request really stands and what the worker last logged.
   */
  async function waitForStatusOn(page: Page, requestId: string, status: string) {
    try {
      await page.locator(`[data-status="${status}"]`).first().waitFor({ timeout: 60_000 });
    } catch (e) {
      const stored = await getRequest(stack.data, requestId);
      throw new Error(
        `request ${requestId} never showed ${status}: stored ${stored?.status} (${stored?.lastErrorCode ?? "no error"}: ${stored?.lastErrorMessage ?? ""}); worker log:\n${worker.log.slice(-10).join("\n")}`,
        { cause: e },
      );
    }
  }

  /** A request written through the repository, for tests about what happens after submission. */
  async function seedRequest(user: "alice" | "bob", asn: number) {
    return createRequest(
      stack.data,
      { userId: people[user]!.userId, asn, networkId: lanId, nodeId: nextNodeId() },
      { actorType: "user", actorId: people[user]!.userId },
    );
  }

  it("lets an operator sign in with a local account, submit a request and see a duplicate refused", async () => {
    const violations: AxeViolation[] = [];
    const page = await newPage();
    await page.goto(`${web.origin}/dashboard`);
    // Signed out: sent to the login page, remembering the destination.
    await page.waitForURL(/\/login\?next=%2Fdashboard$/);
    violations.push(...(await captureScreen(page, "login")));

    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Wrong username or password");
    violations.push(...(await captureScreen(page, "login-error")));

    await signIn(page, "alice", /\/dashboard$/);
    await page.getByRole("heading", { name: "No requests yet" }).waitFor();
    violations.push(...(await captureScreen(page, "dashboard-empty")));

    await page.getByRole("link", { name: "New request" }).first().click();
    await page.waitForURL(/\/onboarding$/);
    const nodeInput = page.getByLabel("ZeroTier node id");
    await nodeInput.fill("89e92c");
    await expect.poll(() => page.locator("#e-node").textContent()).toContain("Too short: 6 of 10");
    // Upper case is lower-cased as typed; a digit too many is told its length, not its case.
    await nodeInput.fill("A1B2C3D4E5");
    await expect.poll(() => nodeInput.inputValue()).toBe("a1b2c3d4e5");
    await expect.poll(() => page.locator("#e-node").textContent()).toContain("valid node id");
    await nodeInput.fill("A1B2C3D4E5F");
    await expect.poll(() => page.locator("#e-node").textContent()).toContain("Too long: 11 hex digits");
    await nodeInput.fill("ff12345678");
    await expect.poll(() => page.locator("#e-node").textContent()).toContain("reserved");
    await expect.poll(() => nodeInput.getAttribute("aria-invalid")).toBe("true");
    // The whole `zerotier-cli info` line pasted in is reduced to the node id.
    const nodeId = nextNodeId();
    await page.getByLabel("Network").selectOption(lanId);
    await nodeInput.fill(`200 info ${nodeId} 1.14.0 ONLINE`);
    await expect.poll(() => nodeInput.inputValue()).toBe(nodeId);
    await expect.poll(() => page.locator("#e-node").textContent()).toContain("valid node id");
    violations.push(...(await captureScreen(page, "onboarding")));

    await page.getByRole("button", { name: "Submit request" }).click();
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    const requestId = page.url().split("/").pop()!;
    await page.locator('[data-status="pending"]').first().waitFor();
    // The network by name, and notices true of a pending request on a network with route servers.
    await page.getByText("ZT-IX LAN", { exact: true }).first().waitFor();
    await page.getByText("Addresses are assigned once the request is approved and provisioned.").waitFor();
    await page.getByText(/configures these route servers for you during provisioning/).waitFor();
    violations.push(...(await captureScreen(page, "request-pending")));

    // The same ASN, network and node again: refused inline, naming the existing request.
    await page.goto(`${web.origin}/onboarding`);
    await page.getByLabel("Network").selectOption(lanId);
    await page.getByLabel("ZeroTier node id").fill(nodeId);
    await page.getByRole("button", { name: "Submit request" }).click();
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("already exists");
    expect(await page.getByRole("link", { name: /Open the existing request/ }).getAttribute("href")).toBe(
      `/requests/${requestId}`,
    );
    violations.push(...(await captureScreen(page, "onboarding-duplicate")));

    await page.getByRole("link", { name: "My requests" }).click();
    await page.waitForURL(/\/dashboard$/);
    expect(await page.getByRole("row").count()).toBe(2); // header + the one request
    await page.getByRole("row").nth(1).getByText("ZT-IX LAN", { exact: true }).waitFor();
    // Two sentences, with the space between them.
    await page
      .getByText(
        "Requests for your ASNs, newest first. Refreshes by itself while a request is in progress.",
        {
          exact: true,
        },
      )
      .waitFor();
    violations.push(...(await captureScreen(page, "dashboard")));
    expect(violations).toEqual([]);
  }, 90_000);

  it("updates the operator's page to active by polling, without a reload, after an admin approves", async () => {
    const violations: AxeViolation[] = [];
    const request = await seedRequest("alice", 64500);
    const operator = await pageAs("alice");
    await operator.goto(`${web.origin}/requests/${request.requestId}`);
    await operator.locator('[data-status="pending"]').first().waitFor();
    // A marker that only survives if the page is never reloaded.
    await operator.evaluate("window.ztixNoReload = true");
    // The operator's dashboard, open alongside, follows the same request by polling.
    const board = await pageAs("alice");
    await board.goto(`${web.origin}/dashboard`);
    const boardRow = board
      .getByRole("row")
      .filter({ has: board.getByRole("link", { name: `Request ${request.requestId}` }) });
    await boardRow.locator('[data-status="pending"]').waitFor();
    await board.evaluate("window.ztixNoReload = true");

    const admin = await pageAs("admin");
    await admin.goto(`${web.origin}/admin/requests`);
    await admin.getByLabel("Status").selectOption("pending");
    await admin.getByRole("button", { name: "Apply filters" }).click();
    await admin.waitForURL(/\/admin\/requests\?status=pending$/);
    // Titled for what it lists, with who asked by name (never a user id).
    await admin.getByRole("heading", { name: "Requests", level: 1 }).waitFor();
    const queueRow = admin
      .getByRole("row")
      .filter({ has: admin.getByRole("link", { name: `Request ${request.requestId}` }) });
    await queueRow.getByText("Alice Example", { exact: true }).waitFor();
    expect(await queueRow.getByText(people.alice!.userId).count()).toBe(0);
    expect(await admin.getByRole("columnheader", { name: "Requester" }).count()).toBe(1);
    violations.push(...(await captureScreen(admin, "admin-queue")));

    await admin.getByRole("link", { name: `Request ${request.requestId}` }).click();
    await admin.waitForURL(new RegExp(`/admin/requests/${request.requestId}$`));
    await admin.getByRole("region", { name: "For administrators" }).getByText("Alice Example").waitFor();
    violations.push(...(await captureScreen(admin, "admin-request-pending")));
    await admin.getByRole("button", { name: "Approve" }).click();
    const dialog = admin.getByRole("dialog");
    await dialog.waitFor();
    // Both route servers serve this network: the dialog says they are configured, and names it.
    await dialog.getByText(/BGP sessions are configured on the 2 route servers/).waitFor();
    await dialog.getByText(/ZT-IX LAN/).waitFor();
    violations.push(...(await captureScreen(admin, "admin-approve-dialog")));
    await dialog.getByRole("button", { name: "Approve" }).click();
    // Not waiting for `approved` on screen: the worker may already have moved past it. The
    // past-tense notice stays whatever the worker does next.
    await admin.getByText("You approved this request.").waitFor();

    // The rest is the real worker's: the approval queued a job on the FIFO queue; the worker
    // authorises the member on the controller emulator and configures both route servers.
    await waitForStatusOn(operator, request.requestId, "active");
    expect(await operator.evaluate("window.ztixNoReload === true")).toBe(true);
    await boardRow.locator('[data-status="active"]').waitFor({ timeout: 60_000 });
    expect(await board.evaluate("window.ztixNoReload === true")).toBe(true);
    // Once active, the admin's notice no longer says provisioning is queued.
    await waitForStatusOn(admin, request.requestId, "active");
    expect(await admin.getByText("You approved this request.", { exact: true }).count()).toBe(1);
    const { data: membership } = await stack.data.entities.membership
      .get({ requestId: request.requestId })
      .go();
    expect(membership?.ipv4).toMatch(/^192\.0\.2\.\d+$/);
    expect(membership?.ipv6).toMatch(/^2001:db8:100:/);
    expect(await operator.getByText(membership!.ipv4!, { exact: true }).count()).toBe(1);
    expect(await operator.getByText(membership!.ipv6!, { exact: true }).count()).toBe(1);
    // Each route server's neighbor addresses, and both sessions configured.
    expect(await operator.getByText("2001:db8:100::1", { exact: true }).count()).toBe(1);
    expect(await operator.getByText("2001:db8:100::2", { exact: true }).count()).toBe(1);
    expect(await operator.getByText("Configured", { exact: true }).count()).toBe(2);
    // The member really is on the controller and in both BIRDs.
    const member = await backends.controllerMember(lanId, request.nodeId);
    expect(member).toMatchObject({ authorized: true });
    expect([...((member?.ipAssignments as string[]) ?? [])].sort()).toEqual(
      [membership!.ipv4, membership!.ipv6].sort(),
    );
    for (const rs of backends.routeServers) {
      const protocols = await protocolStates(rs.bird.socket);
      expect(protocols.has(`m_as64500_000001_${request.nodeId}_v4`)).toBe(true);
    }
    violations.push(...(await captureScreen(operator, "request-active")));
    expect(violations).toEqual([]);
  }, 120_000);

  it("requires a reason to reject, and shows the operator that reason", async () => {
    const violations: AxeViolation[] = [];
    const request = await seedRequest("alice", 64500);
    const admin = await pageAs("admin");
    await admin.goto(`${web.origin}/admin/requests/${request.requestId}`);
    await admin.getByRole("button", { name: "Reject" }).click();
    const dialog = admin.getByRole("dialog");
    const confirm = dialog.getByRole("button", { name: "Reject" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Reason/).fill("Node id belongs to a different organisation.");
    expect(await confirm.isDisabled()).toBe(false);
    violations.push(...(await captureScreen(admin, "admin-reject-dialog")));
    await confirm.click();
    await admin.locator('[data-status="rejected"]').first().waitFor();
    await admin.getByText("You rejected this request.").waitFor();

    const operator = await pageAs("alice");
    await operator.goto(`${web.origin}/requests/${request.requestId}`);
    await operator.getByText("Node id belongs to a different organisation.").first().waitFor();
    // Nothing promises addresses or sessions a rejected request will never get.
    await operator
      .getByText("No addresses were assigned: the request was rejected.", { exact: true })
      .waitFor();
    await operator.getByText("No BGP sessions: the request was rejected.", { exact: true }).waitFor();
    expect(await operator.getByText(/appear here once|once provisioned/).count()).toBe(0);
    violations.push(...(await captureScreen(operator, "request-rejected")));
    expect(violations).toEqual([]);
  }, 90_000);

  it("keeps a request provisioning while a route server is down, says so, and completes it by itself once it is back", async () => {
    const violations: AxeViolation[] = [];
    const request = await seedRequest("alice", 64500);
    // A real outage: rs2's BIRD is down, so its sessions cannot be applied yet.
    await backends.stopRouteServer("rs2");
    let rs2Running = false;
    try {
      const admin = await pageAs("admin");
      await admin.goto(`${web.origin}/admin/requests/${request.requestId}`);
      await admin.getByRole("button", { name: "Approve" }).click();
      await admin.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
      // rs1 takes the sessions; rs2 is shown waiting, with its own error for the admin.
      const sessions = admin.getByRole("region", { name: "Route-server sessions" });
      await sessions.getByText("Configured", { exact: true }).waitFor({ timeout: 60_000 });
      await sessions.getByText(/route_server_bird_unreachable/).waitFor({ timeout: 60_000 });
      expect((await getRequest(stack.data, request.requestId))?.status).toBe("provisioning");
      violations.push(...(await captureScreen(admin, "admin-request-waiting")));

      // The operator sees the plain fact, never the route server's internals.
      const operator = await pageAs("alice");
      await operator.goto(`${web.origin}/requests/${request.requestId}`);
      await operator
        .getByText(/cannot be configured right now/)
        .first()
        .waitFor();
      expect(await operator.getByText(/route_server_bird_unreachable|control socket/).count()).toBe(0);
      violations.push(...(await captureScreen(operator, "request-waiting")));

      // The route-server page shows the same, with the reason.
      await admin.goto(`${web.origin}/admin/route-servers`);
      await admin.getByRole("heading", { name: "rs2" }).waitFor();
      await admin.getByText("The last reconcile could not finish").waitFor();
      violations.push(...(await captureScreen(admin, "admin-route-servers")));

      await backends.restartRouteServer("rs2");
      rs2Running = true;
      // No retry needed: rs2's reconcile comes back by itself and the request goes active.
      await admin.goto(`${web.origin}/admin/requests/${request.requestId}`);
      await waitForStatusOn(admin, request.requestId, "active");
      // The sessions list refreshes on its own poll, a moment after the status.
      await expect
        .poll(() => sessions.getByText("Configured", { exact: true }).count(), { timeout: 30_000 })
        .toBe(2);
      const after = await getRequest(stack.data, request.requestId);
      expect({ status: after?.status, attempt: after?.attempt }).toEqual({ status: "active", attempt: 1 });
      violations.push(...(await captureScreen(admin, "admin-request-active")));
    } finally {
      if (!rs2Running) await backends.restartRouteServer("rs2");
    }
    expect(violations).toEqual([]);
  }, 150_000);

  it("lets an admin ask for a reconcile from the route-server page, audited", async () => {
    const admin = await pageAs("admin");
    await admin.goto(`${web.origin}/admin/route-servers`);
    await admin.getByRole("heading", { name: "rs1" }).waitFor();
    await admin.getByRole("button", { name: "Reconcile now" }).first().click();
    await admin.getByText(/A reconcile of rs1 is queued/).waitFor();
    const trail = await stack.data.entities.auditEvent.query.bySubject({ subject: "route-server#rs1" }).go();
    expect(trail.data.map((e) => e.action)).toContain("route_server.reconcile_requested");
  }, 60_000);

  it("shows an operator a not-found page for another network's request, and admins-only for the queue", async () => {
    const violations: AxeViolation[] = [];
    const bobs = await seedRequest("bob", 64510);
    const page = await pageAs("alice");
    await page.goto(`${web.origin}/requests/${bobs.requestId}`);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    expect(await page.getByText(bobs.nodeId).count()).toBe(0);
    violations.push(...(await captureScreen(page, "not-found")));
    await page.goto(`${web.origin}/admin/requests`);
    await page.getByRole("heading", { name: "Not allowed" }).waitFor();
    violations.push(...(await captureScreen(page, "forbidden")));
    expect(violations).toEqual([]);
  }, 60_000);

  it("lets an operator cancel a pending request after confirming", async () => {
    const request = await seedRequest("alice", 64500);
    const page = await pageAs("alice");
    await page.goto(`${web.origin}/requests/${request.requestId}`);
    await page.getByRole("button", { name: "Cancel request" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Cancel request" }).click();
    await page.locator('[data-status="cancelled"]').first().waitFor();
    // Final: no action left to take.
    expect(await page.getByRole("button", { name: "Cancel request" }).count()).toBe(0);
    await page.getByText("No addresses were assigned: the request was cancelled.", { exact: true }).waitFor();
    await page.getByText("No BGP sessions: the request was cancelled.", { exact: true }).waitFor();
    expect(await page.getByText(/appear here once|once provisioned/).count()).toBe(0);
    expect(await captureScreen(page, "request-cancelled")).toEqual([]);
    const { data: after } = await stack.data.entities.joinRequest.get({ requestId: request.requestId }).go();
    expect(after?.status).toBe("cancelled");
  }, 60_000);

  it("keeps the admin queue's filters and page in the URL, and pages through it with a cursor", async () => {
    for (let i = 0; i < 3; i++) await seedRequest("bob", 64520);
    const admin = await pageAs("admin");
    await admin.goto(`${web.origin}/admin/requests?asn=64520&limit=2`);
    await admin.getByRole("link", { name: "Next page" }).waitFor();
    expect(await admin.getByLabel("ASN").inputValue()).toBe("64520");
    expect(await admin.getByRole("row").count()).toBe(3); // header + 2
    await admin.getByRole("link", { name: "Next page" }).click();
    await admin.waitForURL(/[?&]cursor=/);
    expect(new URL(admin.url()).searchParams.get("asn")).toBe("64520");
    expect(new URL(admin.url()).searchParams.get("limit")).toBe("2");
    await admin.getByRole("link", { name: "First page" }).waitFor();
    expect(await admin.getByRole("row").count()).toBe(2); // header + the third
    await admin.getByRole("link", { name: "First page" }).click();
    await admin.waitForURL((url) => !url.searchParams.has("cursor"));
    expect(await admin.getByRole("row").count()).toBe(3);

    await admin.getByLabel("Status").selectOption("rejected");
    await admin.getByRole("button", { name: "Apply filters" }).click();
    await admin.waitForURL((url) => url.searchParams.get("status") === "rejected");
    await admin.getByRole("heading", { name: "No request matches these filters" }).waitFor();
    expect(await captureScreen(admin, "admin-queue-empty")).toEqual([]);
  }, 60_000);

  it("lets an operator complete the onboarding form with the keyboard alone", async () => {
    const page = await newPage();
    await signIn(page, "carol");
    await page.goto(`${web.origin}/onboarding`);
    const focused = () => page.evaluate<string>('document.activeElement?.id ?? ""');
    // Tab from the top of the page to the first form field.
    for (let i = 0; i < 20 && (await focused()) !== "f-asn"; i++) await page.keyboard.press("Tab");
    expect(await focused()).toBe("f-asn");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    expect(await page.locator("#f-asn").inputValue()).toBe("64506");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("f-zt_network_id");
    await page.keyboard.press("ArrowDown");
    expect(await page.locator("#f-zt_network_id").inputValue()).toBe(lanId);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("f-node_id");
    const nodeId = nextNodeId();
    await page.keyboard.type(nodeId);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("f-notes");
    await page.keyboard.type("Keyboard only.");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    await page.getByText("Keyboard only.").waitFor();
    expect(await page.getByText("AS64506", { exact: true }).count()).toBe(1);
  }, 60_000);

  it("signs an operator in through the PeeringDB stand-in, and explains a broken callback", async () => {
    const violations: AxeViolation[] = [];
    const page = await newPage();
    await page.goto(`${web.origin}/login`);
    await page.getByRole("button", { name: "Sign in with PeeringDB" }).click();
    await page.waitForURL(new RegExp(`^${idp.issuer}/interaction/`));
    await page.getByLabel("Username").fill("demo-operator");
    await page.getByLabel("Password").fill("demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.getByText("Demo Operator").waitFor();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${web.origin}/dashboard`);
    await page.waitForURL(/\/login\?next=/);

    // A replayed or forged callback: the error is shown in place, with a way back.
    const other = await newPage();
    await other.goto(`${web.origin}/auth/callback?code=forged&state=forged`);
    await other.getByRole("alert").waitFor();
    expect(await other.getByRole("alert").textContent()).toMatch(/not valid any more|Start again/);
    expect(await other.getByRole("link", { name: "Back to sign-in" }).getAttribute("href")).toBe("/login");
    violations.push(...(await captureScreen(other, "callback-error")));
    expect(violations).toEqual([]);
  }, 60_000);
});
