import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControllerEmulator, freshEmulator, raw, startControllerEmulator } from "../src/index.ts";

// Each case below is one row of zerotier-controller-api.md, as measured on a real 1.14.1
// controller. Every test uses its own network suffix, so none depends on another having run.

let emu: ControllerEmulator;
beforeAll(async () => {
  emu = await freshEmulator();
});
afterAll(() => emu.stop());

const network = (suffix: string) => `/controller/network/${emu.address}${suffix}`;
const post = (path: string, body: unknown) =>
  raw(emu, "POST", path, { body: typeof body === "string" ? body : JSON.stringify(body) });
const memberFile = (suffix: string, id: string) =>
  join(emu.homeDir, "controller.d", "network", `${emu.address}${suffix}`, "member", `${id}.json`);

describe("controller emulator: node and transport", () => {
  it("answers /status with the address from identity.public, offline and with 1.14.1's settings", async () => {
    const res = await raw(emu, "GET", "/status");
    expect(res.status).toBe(200);
    expect(readFileSync(join(emu.homeDir, "identity.public"), "utf8")).toMatch(
      new RegExp(`^${emu.address}:0:[0-9a-f]+\\n$`),
    );
    expect(res.json).toMatchObject({
      address: emu.address,
      version: "1.14.1",
      // No roots are reachable from a loopback-only node.
      online: false,
      config: {
        settings: {
          primaryPort: emu.port,
          homeDir: emu.homeDir,
          listeningOn: [`127.0.0.1/${emu.port}`],
          softwareUpdate: "disable",
        },
      },
    });
  });

  it("accepts the token as X-ZT1-Auth, Bearer or ?auth= and answers 401 {} otherwise", async () => {
    const bearer = await raw(emu, "GET", "/status", {
      auth: false,
      headers: { Authorization: `Bearer ${emu.token}` },
    });
    expect(bearer.status).toBe(200);
    expect((await raw(emu, "GET", `/status?auth=${emu.token}`, { auth: false })).status).toBe(200);
    const denied = await raw(emu, "GET", "/status", { auth: false, headers: { "X-ZT1-Auth": "wrong" } });
    expect(denied.status).toBe(401);
    expect(denied.text).toBe("{}");
    expect((await raw(emu, "GET", "/controller", { auth: false })).status).toBe(401);
  });

  it("reports the database ready on /controller and 503 while it is not", async () => {
    const ok = await raw(emu, "GET", "/controller");
    expect(ok.json).toMatchObject({ controller: true, apiVersion: 4, databaseReady: true });
    emu.setReady(false);
    try {
      expect((await raw(emu, "GET", "/controller")).status).toBe(503);
      expect((await raw(emu, "GET", "/controller/network")).status).toBe(503);
    } finally {
      emu.setReady(true);
    }
  });

  it("answers 404 with an empty body and no Content-Type, for a missing network and its members", async () => {
    for (const res of [
      await raw(emu, "GET", network("abcdef")),
      await post(`${network("abcdef")}/member/0a0b0c0d0e`, {}),
      await raw(emu, "GET", `${network("abcdef")}/member`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.text).toBe("");
      expect(res.headers.get("content-type")).toBeNull();
    }
  });

  it("answers 404 for an id containing _ other than the create form", async () => {
    expect((await post(`/controller/network/${emu.address}__0001`, {})).status).toBe(404);
    expect((await raw(emu, "GET", `/controller/network/${emu.address}______`)).status).toBe(404);
    expect((await post(`${network("000a00")}/member/0a0b0c0d_e`, {})).status).toBe(404);
  });

  it("lists networks on /unstable/controller/network too", async () => {
    await post(network("0a0a01"), {});
    const res = await raw(emu, "GET", "/unstable/controller/network");
    expect(res.status).toBe(200);
    const data = res.json?.data as { id: string }[];
    const ids = data.map((n) => n.id);
    expect(ids).toContain(`${emu.address}0a0a01`);
    expect(res.json?.meta).toEqual({ networkCount: ids.length });
  });
});

describe("controller emulator: creating and deleting networks", () => {
  it("creates a network with a random suffix for its own node id, and refuses another id or an upper-case one", async () => {
    const created = await post(`/controller/network/${emu.address}______`, {});
    expect(created.status).toBe(200);
    const nwid = String(created.json?.id);
    expect(nwid).toMatch(new RegExp(`^${emu.address}[0-9a-f]{6}$`));
    expect(created.json).toMatchObject({
      nwid,
      mtu: 2800,
      private: true,
      dns: [],
      revision: 1,
      v4AssignMode: { zt: false },
      v6AssignMode: { "6plane": false, rfc4193: false, zt: false },
    });
    expect(existsSync(join(emu.homeDir, "controller.d", "network", `${nwid}.json`))).toBe(true);
    expect((await post("/controller/network/0123456789______", {})).status).toBe(400);
  });

  it("refuses the create form with its own address in upper case", async () => {
    // A chosen identity, so the address surely has letters to upper-case.
    const homeDir = mkdtempSync(join(tmpdir(), "ztix-zt-home-"));
    writeFileSync(join(homeDir, "identity.public"), "0abcdef123:0:00\n");
    const own = await startControllerEmulator({ homeDir, token: "t" });
    try {
      expect((await raw(own, "POST", "/controller/network/0ABCDEF123______", { body: "{}" })).status).toBe(
        400,
      );
      expect((await raw(own, "POST", "/controller/network/0abcdef123______", { body: "{}" })).status).toBe(
        200,
      );
    } finally {
      await own.stop();
    }
  });

  it("creates a network on POST /controller/network with no id", async () => {
    const created = await post("/controller/network", { name: "no-id" });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ name: "no-id", revision: 1 });
    expect(String(created.json?.id)).toMatch(new RegExp(`^${emu.address}[0-9a-f]{6}$`));
    expect((await raw(emu, "GET", "/controller/network")).json).toContain(created.json?.id);
  });

  it("lists networks and deletes one, returning the deleted object", async () => {
    const nwid = `${emu.address}00aa03`;
    await post(network("00aa03"), {});
    await post(`${network("00aa03")}/member/0a0b0c0d0e`, {});
    expect((await raw(emu, "GET", "/controller/network")).json).toContain(nwid);
    const gone = await raw(emu, "DELETE", network("00aa03"));
    expect(gone.json).toMatchObject({ id: nwid });
    expect((await raw(emu, "GET", "/controller/network")).json).not.toContain(nwid);
    expect(existsSync(join(emu.homeDir, "controller.d", "network", nwid))).toBe(false);
  });
});

describe("controller emulator: network writes", () => {
  it("keeps the revision on an identical re-POST and bumps it on a change", async () => {
    const body = { name: "ix-lan", mtu: 2800, routes: [{ target: "10.147.17.0/24", via: null }] };
    expect((await post(network("00b001"), body)).json?.revision).toBe(1);
    expect((await post(network("00b001"), body)).json?.revision).toBe(1);
    expect((await post(network("00b001"), {})).json?.revision).toBe(1);
    expect((await post(network("00b001"), { ...body, name: "renamed" })).json?.revision).toBe(2);
    expect((await raw(emu, "GET", network("00b001"))).json?.revision).toBe(2);
  });

  it("drops invalid routes and pools silently and applies the rest", async () => {
    const res = await post(network("00aa01"), {
      name: "ix-lan",
      routes: [
        { target: "10.147.17.0/24", via: null },
        { target: "not-a-cidr", via: null },
        { target: "10.147.18.0/33", via: null },
      ],
      ipAssignmentPools: [
        { ipRangeStart: "10.147.17.1", ipRangeEnd: "10.147.17.254" },
        { ipRangeStart: "bogus", ipRangeEnd: "10.147.17.9" },
        { ipRangeStart: "10.147.17.1", ipRangeEnd: "2001:db8::1" },
      ],
      unknownKey: true,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      name: "ix-lan",
      routes: [{ target: "10.147.17.0/24", via: null }],
      ipAssignmentPools: [{ ipRangeStart: "10.147.17.1", ipRangeEnd: "10.147.17.254" }],
    });
    expect(res.json).not.toHaveProperty("unknownKey");
  });

  it("keeps a route whose via is invalid or of the other family, with via null", async () => {
    const res = await post(network("00aa04"), {
      routes: [
        { target: "10.147.17.0/24", via: "not-an-ip" },
        { target: "10.147.18.0/24", via: "2001:db8::1" },
        { target: "10.147.19.0/24", via: "10.147.17.1" },
      ],
    });
    expect(res.json?.routes).toEqual([
      { target: "10.147.17.0/24", via: null },
      { target: "10.147.18.0/24", via: null },
      { target: "10.147.19.0/24", via: "10.147.17.1" },
    ]);
  });

  it("normalises IPv6 text in pools and routes", async () => {
    const res = await post(network("00aa05"), {
      ipAssignmentPools: [{ ipRangeStart: "2001:DB8:147:0::1", ipRangeEnd: "2001:db8:147:0:0:0:0:FFFF" }],
      routes: [{ target: "2001:DB8:147:0::/64", via: "2001:DB8:147:0::1" }],
    });
    expect(res.json).toMatchObject({
      ipAssignmentPools: [{ ipRangeStart: "2001:db8:147::1", ipRangeEnd: "2001:db8:147::ffff" }],
      routes: [{ target: "2001:db8:147::/64", via: "2001:db8:147::1" }],
    });
  });

  it("clamps mtu to 1280–10000 and coerces a numeric string", async () => {
    expect((await post(network("00aa06"), { mtu: 100 })).json?.mtu).toBe(1280);
    expect((await post(network("00aa06"), { mtu: 20000 })).json?.mtu).toBe(10000);
    expect((await post(network("00aa06"), { mtu: "1500" })).json?.mtu).toBe(1500);
  });

  it("coerces wrong-type values instead of refusing them", async () => {
    const res = await post(network("00aa07"), { private: "false", name: 5, v4AssignMode: "zt" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ private: false, name: "5", v4AssignMode: { zt: true } });
  });

  it("replaces v6AssignMode with a partial object rather than merging it", async () => {
    await post(network("00aa08"), { v6AssignMode: { zt: true, rfc4193: false, "6plane": true } });
    const res = await post(network("00aa08"), { v6AssignMode: { rfc4193: true } });
    expect(res.json?.v6AssignMode).toEqual({ rfc4193: true });
  });

  it("answers 500 with the parser's message for invalid JSON and for an empty body, changing nothing", async () => {
    const before = (await post(network("00aa09"), { name: "kept" })).json;
    for (const body of ["{nope", ""]) {
      const res = await post(network("00aa09"), body);
      expect(res.status).toBe(500);
      expect(res.json?.error).toBe(500);
      expect(String(res.json?.description)).toContain("[json.exception.parse_error.101]");
    }
    expect((await raw(emu, "GET", network("00aa09"))).json).toEqual(before);
  });
});

describe("controller emulator: member writes", () => {
  const suffix = "00c001";
  beforeAll(async () => {
    await post(network(suffix), {});
  });

  it("creates a member from {} with no name and no credential type, at revision 1", async () => {
    const res = await post(`${network(suffix)}/member/0a0b0c0d01`, {});
    expect(res.status).toBe(200);
    expect(res.json).not.toHaveProperty("name");
    expect(res.json).toMatchObject({
      id: "0a0b0c0d01",
      address: "0a0b0c0d01",
      authorized: false,
      lastAuthorizedCredentialType: null,
      objtype: "member",
      revision: 1,
      vMajor: -1,
    });
  });

  it("keeps a member's revision on an identical re-POST and stamps authorization only on a change", async () => {
    const body = { authorized: true, ipAssignments: ["10.0.0.5"], name: "AS64500" };
    const first = await post(`${network(suffix)}/member/0a0b0c0d02`, body);
    expect(first.json).toMatchObject({ revision: 1, lastAuthorizedCredentialType: "api" });
    const again = await post(`${network(suffix)}/member/0a0b0c0d02`, body);
    expect(again.json).toEqual(first.json);
    const changed = await post(`${network(suffix)}/member/0a0b0c0d02`, { ...body, authorized: false });
    expect(changed.json).toMatchObject({ revision: 2, authorized: false });
    expect((await raw(emu, "GET", `${network(suffix)}/member`)).json).toMatchObject({ "0a0b0c0d02": 2 });
  });

  it("drops invalid IPs, normalises IPv6 and does not check addresses against the pools", async () => {
    const res = await post(`${network(suffix)}/member/0a0b0c0d03`, {
      ipAssignments: ["10.0.0.5", "2001:DB8:147:0::1", "x", "198.51.100.7"],
    });
    expect(res.json?.ipAssignments).toEqual(["10.0.0.5", "2001:db8:147::1", "198.51.100.7"]);
  });

  it("answers 500 type_error.302 for a non-string in ipAssignments and stores nothing", async () => {
    const res = await post(`${network(suffix)}/member/0a0b0c0d04`, { ipAssignments: ["10.0.0.6", 7] });
    expect(res.status).toBe(500);
    expect(String(res.json?.description)).toContain("[json.exception.type_error.302]");
    expect((await raw(emu, "GET", `${network(suffix)}/member/0a0b0c0d04`)).status).toBe(404);
  });

  it("stores an upper-case member id as sent: GET and the member list return it upper-case", async () => {
    await post(`${network(suffix)}/member/0A0B0C0D05`, { authorized: true, name: "AS64501" });
    const stored = await raw(emu, "GET", `${network(suffix)}/member/0a0b0c0d05`);
    expect(stored.json).toMatchObject({ id: "0A0B0C0D05", address: "0A0B0C0D05", name: "AS64501" });
    expect((await raw(emu, "GET", `${network(suffix)}/member`)).json).toHaveProperty("0A0B0C0D05", 1);
    const unstable = await raw(emu, "GET", `/unstable/controller/network/${emu.address}${suffix}/member`);
    const listed = unstable.json?.data as { id: string }[];
    expect(listed.map((m) => m.id)).toContain("0A0B0C0D05");
    expect(existsSync(memberFile(suffix, "0a0b0c0d05"))).toBe(true);
  });

  it("counts members on the unstable member list and deletes one, returning it", async () => {
    const own = "00c002";
    await post(network(own), {});
    await post(`${network(own)}/member/0a0b0c0d06`, { authorized: true });
    await post(`${network(own)}/member/0a0b0c0d07`, {});
    const unstable = await raw(emu, "GET", `/unstable/controller/network/${emu.address}${own}/member`);
    expect(unstable.json?.meta).toEqual({ authorizedCount: 1, totalCount: 2 });
    const deleted = await raw(emu, "DELETE", `${network(own)}/member/0a0b0c0d06`);
    expect(deleted.json).toMatchObject({ id: "0a0b0c0d06", authorized: true });
    expect((await raw(emu, "GET", `${network(own)}/member/0a0b0c0d06`)).status).toBe(404);
    expect(existsSync(memberFile(own, "0a0b0c0d06"))).toBe(false);
  });
});

describe("controller emulator: state in memory, files read at start", () => {
  it("writes each change to controller.d/ as it happens", async () => {
    await post(network("00d001"), { name: "on-disk" });
    await post(`${network("00d001")}/member/0a0b0c0d11`, { authorized: true });
    const file = join(emu.homeDir, "controller.d", "network", `${emu.address}00d001.json`);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ name: "on-disk", revision: 1 });
    expect(JSON.parse(readFileSync(memberFile("00d001", "0a0b0c0d11"), "utf8"))).toMatchObject({
      authorized: true,
    });
  });

  it("keeps serving a network whose files were deleted until it is restarted", async () => {
    const own = await freshEmulator();
    try {
      const nwid = `${own.address}00d002`;
      await raw(own, "POST", `/controller/network/${nwid}`, { body: '{"name":"doomed"}' });
      rmSync(join(own.homeDir, "controller.d"), { recursive: true, force: true });
      expect((await raw(own, "GET", `/controller/network/${nwid}`)).status).toBe(200);
      await own.restart();
      expect((await raw(own, "GET", `/controller/network/${nwid}`)).status).toBe(404);
      expect((await raw(own, "GET", "/controller/network")).json).toEqual([]);
    } finally {
      await own.stop();
    }
  });

  it("sees files written under controller.d/ (a restore) only after a restart", async () => {
    const own = await freshEmulator();
    try {
      const nwid = `${own.address}00d003`;
      await raw(own, "POST", `/controller/network/${nwid}`, { body: '{"name":"before"}' });
      const file = join(own.homeDir, "controller.d", "network", `${nwid}.json`);
      const record = JSON.parse(readFileSync(file, "utf8"));
      writeFileSync(file, JSON.stringify({ ...record, name: "restored" }));
      expect((await raw(own, "GET", `/controller/network/${nwid}`)).json?.name).toBe("before");
      await own.restart();
      expect((await raw(own, "GET", `/controller/network/${nwid}`)).json?.name).toBe("restored");
    } finally {
      await own.stop();
    }
  });

  it("reads identity and token at start: a new identity.public or token applies after a restart", async () => {
    const own = await freshEmulator({ token: "first-token" });
    try {
      const identity = join(own.homeDir, "identity.public");
      const original = own.address;
      writeFileSync(identity, readFileSync(identity, "utf8").replace(original, "0badc0ffee"));
      expect((await raw(own, "GET", "/status")).json?.address).toBe(original);
      await own.rotateToken("second-token");
      expect(own.address).toBe("0badc0ffee");
      expect((await raw(own, "GET", "/status")).json?.address).toBe("0badc0ffee");
      const stale = await raw(own, "GET", "/status", {
        auth: false,
        headers: { "X-ZT1-Auth": "first-token" },
      });
      expect(stale.status).toBe(401);
    } finally {
      await own.stop();
    }
  });
});

describe("controller emulator: scripted faults", () => {
  it("fails the matching requests as scripted, then serves normally again", async () => {
    emu.injectFault({ method: "GET", path: /^\/controller$/, status: 502, count: 2 });
    expect((await raw(emu, "GET", "/controller")).status).toBe(502);
    expect((await raw(emu, "GET", "/controller")).status).toBe(502);
    expect((await raw(emu, "GET", "/controller")).status).toBe(200);
  });

  it("resets the connection for a reset fault", async () => {
    emu.injectFault({ path: /^\/status$/, reset: true });
    await expect(raw(emu, "GET", "/status")).rejects.toThrow();
    expect((await raw(emu, "GET", "/status")).status).toBe(200);
  });
});

describe("controller emulator: a node asking to join", () => {
  it("lists an unauthorized member for a node the network does not know, as the real controller does", async () => {
    await post(network("00a0a1"), {});
    const nwid = `${emu.address}00a0a1`;
    expect(emu.simulateJoin(nwid, "A1B2C3D4E5")).toMatchObject({
      id: "a1b2c3d4e5",
      authorized: false,
      vMajor: -1,
      revision: 1,
    });
    const member = await raw(emu, "GET", `${network("00a0a1")}/member/a1b2c3d4e5`);
    expect(member.status).toBe(200);
    expect(member.json).toMatchObject({ authorized: false, ipAssignments: [], nwid });
    expect((await raw(emu, "GET", `${network("00a0a1")}/member`)).json).toEqual({ a1b2c3d4e5: 1 });
    // Asking again changes nothing; a network that does not exist records nothing.
    expect(emu.simulateJoin(nwid, "a1b2c3d4e5")).toMatchObject({ revision: 1 });
    expect(emu.simulateJoin(`${emu.address}00a0ff`, "a1b2c3d4e5")).toBeNull();
  });

  it("records the version of an authorized member that asks, and answers the dev demo's HTTP call", async () => {
    await post(network("00a0a2"), {});
    await post(`${network("00a0a2")}/member/b1b2c3d4e5`, { authorized: true });
    const joined = await raw(emu, "POST", `/emulator/network/${emu.address}00a0a2/join/b1b2c3d4e5`);
    expect(joined.status).toBe(200);
    expect(joined.json).toMatchObject({ authorized: true, vMajor: 1, vMinor: 14, vRev: 1, revision: 2 });
    const join = (suffix: string, node: string, auth = true) =>
      raw(emu, "POST", `/emulator/network/${emu.address}${suffix}/join/${node}`, { auth });
    expect((await join("00a0ff", "b1b2c3d4e5")).status).toBe(404);
    expect((await join("00a0a2", "c1b2c3d4e5", false)).status).toBe(401);
  });
});
