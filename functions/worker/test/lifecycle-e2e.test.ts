/**
 * The membership lifecycle end to end on the real local stack with two real BIRD route
 * servers: leaving, removal by an admin, node replacement, and outages of the controller that
 * make requests wait and then complete without anyone acting on them.
 */
import { existsSync, readdirSync } from "node:fs";
import { getRequest } from "@ztix/data";
import { BIRD_TIME_PATTERN, memberProtocolName, sameBirdTime } from "@ztix/route-servers";
import { startControllerEmulator } from "@ztix/zerotier-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { nextNodeId, waitForStatus } from "./support/harness.ts";
import { type RouteServerWorld, startRouteServerWorld } from "./support/route-server-world.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("sshd", existsSync("/usr/sbin/sshd") && hasCommand("ssh-keygen"));

const v4 = (asn: number, nodeId: string) => memberProtocolName({ asn, network: "000001", nodeId }, "ipv4");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!present)(
  "a membership's way out, its node replacement, and outages that never fail it",
  () => {
    let w: RouteServerWorld;
    beforeAll(async () => {
      w = await startRouteServerWorld({
        asns: [64501, 64502, 64503, 64504, 64505, 64506],
        // A closed gate is looked at again every 2 s here (30 s by default).
        config: { controller: { gate_retry_seconds: 2 } } as never,
      });
    }, 60_000);
    afterAll(() => w?.stop());

    const membersFiles = (id: string) => readdirSync(w.rs(id).config.paths.members_dir);

    it("lets an operator leave: off both route servers and the controller, addresses reusable", async () => {
      const nodeId = nextNodeId();
      const id = await w.submitAndApprove(64501, nodeId);
      expect((await waitForStatus(w.h, id, ["active", "failed"], 30_000)).status).toBe("active");
      const addresses = (await w.operator.get(`/api/v1/requests/${id}`)).body.membership;
      expect(membersFiles("rs-a")).toContain(`AS64501_000001_${nodeId}.conf`);

      const left = await w.operator.post(`/api/v1/requests/${id}/leave`);
      expect(left.status).toBe(200);
      expect(left.body.request.status).toBe("deprovisioning");
      const removed = await waitForStatus(w.h, id, ["removed"], 30_000);
      expect(removed.addressesReleasedAt).toBeDefined();
      for (const rs of ["rs-a", "rs-b"]) {
        expect(membersFiles(rs)).not.toContain(`AS64501_000001_${nodeId}.conf`);
        expect((await w.protocols(rs)).has(v4(64501, nodeId))).toBe(false);
      }
      expect(await w.h.deps.provider().getMember(w.h.networkId, nodeId)).toBeNull();
      const detail = await w.operator.get(`/api/v1/requests/${id}`);
      expect(detail.body.request).toMatchObject({ status: "removed", removal_reason: "left by the member" });
      expect(detail.body.events.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(["request.leave", "request.finish_removal"]),
      );

      // The same node can join again, and a new member gets the address that came back.
      const again = await w.submitAndApprove(64502, nodeId);
      expect((await waitForStatus(w.h, again, ["active", "failed"], 30_000)).status).toBe("active");
      const reused = (await w.operator.get(`/api/v1/requests/${again}`)).body.membership;
      expect(reused.ipv4).toBe(addresses.ipv4);
    }, 120_000);

    it("lets an admin remove a membership with a reason the operator reads", async () => {
      const nodeId = nextNodeId();
      const id = await w.submitAndApprove(64503, nodeId);
      expect((await waitForStatus(w.h, id, ["active", "failed"], 30_000)).status).toBe("active");
      const bad = await w.admin.post(`/api/v1/admin/requests/${id}/remove`, {});
      expect(bad.status).toBe(400);
      const out = await w.admin.post(`/api/v1/admin/requests/${id}/remove`, {
        reason: "Membership fee unpaid.",
      });
      expect(out.status).toBe(200);
      await waitForStatus(w.h, id, ["removed"], 30_000);
      const seen = await w.operator.get(`/api/v1/requests/${id}`);
      expect(seen.body.request).toMatchObject({
        status: "removed",
        removal_reason: "Membership fee unpaid.",
      });
      expect((await w.protocols("rs-b")).has(v4(64503, nodeId))).toBe(false);
      // Removing twice is refused, not repeated.
      expect((await w.admin.post(`/api/v1/admin/requests/${id}/remove`, { reason: "again" })).status).toBe(
        409,
      );
    }, 90_000);

    it("moves a membership to a new node with the same addresses, without touching the route servers", async () => {
      const oldNode = nextNodeId();
      const id = await w.submitAndApprove(64504, oldNode);
      expect((await waitForStatus(w.h, id, ["active", "failed"], 30_000)).status).toBe("active");
      const before = (await w.operator.get(`/api/v1/requests/${id}`)).body.membership;
      const reconfigurations = w.hosts.map((h) => h.reconfigurations());
      const since = protocolRow(await w.rs("rs-a").bird.birdc(`show protocols ${v4(64504, oldNode)}`));

      const newNode = nextNodeId();
      const asked = await w.operator.post(`/api/v1/requests/${id}/replace-node`, {
        node_id: newNode.toUpperCase(),
      });
      expect(asked.status).toBe(201);
      const replacement = asked.body.request.request_id as string;
      expect(asked.body.request).toMatchObject({
        status: "pending",
        node_id: newNode,
        replaces_request_id: id,
      });
      expect((await w.admin.post(`/api/v1/admin/requests/${replacement}/approve`)).status).toBe(200);
      expect((await waitForStatus(w.h, replacement, ["active", "failed"], 30_000)).status).toBe("active");

      const old = await getRequest(w.h.stack.data, id);
      expect(old).toMatchObject({ status: "removed", replacedByRequestId: replacement });
      const after = (await w.operator.get(`/api/v1/requests/${replacement}`)).body.membership;
      expect({ ipv4: after.ipv4, ipv6: after.ipv6, node: after.node_id }).toEqual({
        ipv4: before.ipv4,
        ipv6: before.ipv6,
        node: newNode,
      });
      const provider = w.h.deps.provider();
      expect(await provider.getMember(w.h.networkId, newNode)).toMatchObject({ authorized: true });
      expect(await provider.getMember(w.h.networkId, oldNode)).toBeNull();
      // The sessions keep their names and BIRD was not reconfigured for the move.
      await sleep(1500);
      expect(w.hosts.map((h) => h.reconfigurations())).toEqual(reconfigurations);
      const now = protocolRow(await w.rs("rs-a").bird.birdc(`show protocols ${v4(64504, oldNode)}`));
      expect(now.withoutSince).toBe(since.withoutSince);
      expect(sameBirdTime(now.since, since.since), `${since.since} → ${now.since}`).toBe(true);
      // And leaving the moved membership takes the sessions off.
      expect((await w.operator.post(`/api/v1/requests/${replacement}/leave`)).status).toBe(200);
      await waitForStatus(w.h, replacement, ["removed"], 30_000);
      expect((await w.protocols("rs-a")).has(v4(64504, oldNode))).toBe(false);
    }, 120_000);

    it("keeps requests waiting while the controller is down, and completes them once it is back", async () => {
      const emu = w.h.emu;
      const { homeDir, port, token } = { homeDir: emu.homeDir, port: emu.port, token: emu.token };
      await emu.stop();
      let restarted = false;
      try {
        const nodeId = nextNodeId();
        const id = await w.submitAndApprove(64505, nodeId);
        // Well past the deliveries SQS gives one message: the request waits, visibly.
        await sleep(15_000);
        const waiting = await w.operator.get(`/api/v1/requests/${id}`);
        expect(waiting.body.request.status).toMatch(/^(approved|provisioning)$/);
        expect(waiting.body.request).toMatchObject({ waiting_on: "controller" });
        // Plain words chosen by the wait's error code, never the SSH or HTTP detail behind it.
        expect(waiting.body.request.waiting_reason).toMatch(/ZeroTier controller.*continue automatically/);
        expect(waiting.body.request.waiting_reason).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{4,5}\b/);
        expect(waiting.body.request.last_error).toBeNull();
        const back = await startControllerEmulator({ homeDir, port, token });
        restarted = true;
        w.h.emu = back;
        const done = await waitForStatus(w.h, id, ["active", "failed"], 60_000);
        expect({ status: done.status, attempt: done.attempt, waitingOn: done.waitingOn }).toEqual({
          status: "active",
          attempt: 1,
          waitingOn: undefined,
        });
      } finally {
        if (!restarted) w.h.emu = await startControllerEmulator({ homeDir, port, token });
      }
    }, 120_000);

    it("closes the gate on a token that stops working, and completes the waiting request once it works again", async () => {
      const emu = w.h.emu;
      const good = emu.token;
      await emu.rotateToken("a-token-the-worker-does-not-have");
      const nodeId = nextNodeId();
      const id = await w.submitAndApprove(64506, nodeId);
      await sleep(6_000);
      const request = await getRequest(w.h.stack.data, id);
      expect(request?.status).toMatch(/^(approved|provisioning)$/);
      expect(request?.waitingOn).toBe("controller");
      const gate = (await w.h.stack.data.entities.controllerState.get({ singleton: "controller" }).go()).data;
      expect(gate).toMatchObject({ gateOpen: false, reasonCode: "controller_unauthorized" });
      // An operator puts the right token back on the controller; nobody touches the request.
      await emu.rotateToken(good);
      const done = await waitForStatus(w.h, id, ["active", "failed"], 90_000);
      expect(done.status).toBe("active");
    }, 150_000);
  },
);

/** A `show protocols <name>` row, and its since-time apart (compared with `sameBirdTime`). */
function protocolRow(out: string): { since: string; withoutSince: string } {
  const row = out.trim().split("\n").at(-1) ?? "";
  const since = new RegExp(BIRD_TIME_PATTERN).exec(row)?.[0] ?? "";
  return { since, withoutSince: row.replace(since, "<since>") };
}
