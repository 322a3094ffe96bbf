import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerEmulator } from "../src/emulator/index.ts";
import { freshEmulator, raw } from "./support/emulator.ts";

describe("controller emulator", () => {
  let emu: ControllerEmulator;
  beforeAll(async () => {
    emu = await freshEmulator();
  });
  afterAll(() => emu.stop());

  it("answers /status with the node address taken from identity.public", async () => {
    const res = await raw(emu, "GET", "/status");
    expect(res.status).toBe(200);
    expect(res.json?.address).toBe(emu.address);
    expect(res.json?.version).toBe("1.14.1");
    expect(readFileSync(join(emu.homeDir, "identity.public"), "utf8").startsWith(`${emu.address}:0:`)).toBe(
      true,
    );
  });

  it("accepts the token as X-ZT1-Auth, Bearer or ?auth= and answers 401 {} otherwise", async () => {
    expect(
      (await raw(emu, "GET", "/status", { auth: false, headers: { Authorization: `Bearer ${emu.token}` } }))
        .status,
    ).toBe(200);
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
    expect((await raw(emu, "GET", "/controller")).status).toBe(503);
    emu.setReady(true);
  });

  it("creates a network with a random suffix only for its own node id", async () => {
    const created = await raw(emu, "POST", `/controller/network/${emu.address}______`, { body: "{}" });
    expect(created.status).toBe(200);
    const nwid = String(created.json?.id);
    expect(nwid).toMatch(new RegExp(`^${emu.address}[0-9a-f]{6}$`));
    expect(created.json).toMatchObject({
      nwid,
      mtu: 2800,
      private: true,
      dns: [],
      v4AssignMode: { zt: false },
    });
    expect(existsSync(join(emu.homeDir, "controller.d", "network", `${nwid}.json`))).toBe(true);
    expect((await raw(emu, "POST", "/controller/network/0123456789______", { body: "{}" })).status).toBe(400);
  });

  it("answers 404 with an empty body for a missing network and its members", async () => {
    const missing = await raw(emu, "GET", `/controller/network/${emu.address}abcdef`);
    expect(missing.status).toBe(404);
    expect(missing.text).toBe("");
    const member = await raw(emu, "POST", `/controller/network/${emu.address}abcdef/member/0a0b0c0d0e`, {
      body: "{}",
    });
    expect(member.status).toBe(404);
  });

  it("drops invalid routes, pools and IPs silently and applies the rest", async () => {
    const nwid = `${emu.address}00aa01`;
    const res = await raw(emu, "POST", `/controller/network/${nwid}`, {
      body: JSON.stringify({
        name: "ix-lan",
        routes: [
          { target: "10.147.17.0/24", via: null },
          { target: "not-a-cidr", via: null },
        ],
        ipAssignmentPools: [
          { ipRangeStart: "10.147.17.1", ipRangeEnd: "10.147.17.254" },
          { ipRangeStart: "bogus", ipRangeEnd: "10.147.17.9" },
        ],
        mtu: 99999,
        unknownKey: true,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      name: "ix-lan",
      mtu: 2800,
      routes: [{ target: "10.147.17.0/24", via: null }],
      ipAssignmentPools: [{ ipRangeStart: "10.147.17.1", ipRangeEnd: "10.147.17.254" }],
      revision: 1,
    });
    expect(res.json).not.toHaveProperty("unknownKey");
  });

  it("answers 500 with the parser's message for invalid JSON", async () => {
    const res = await raw(emu, "POST", `/controller/network/${emu.address}00aa01`, { body: "{nope" });
    expect(res.status).toBe(500);
    expect(res.json?.error).toBe(500);
    expect(String(res.json?.description)).toContain("[json.exception.parse_error.101]");
  });

  it("echoes an upper-case member id but stores and serves it lower-case", async () => {
    const nwid = `${emu.address}00aa02`;
    await raw(emu, "POST", `/controller/network/${nwid}`, { body: "{}" });
    const res = await raw(emu, "POST", `/controller/network/${nwid}/member/0A0B0C0D0E`, {
      body: JSON.stringify({
        authorized: true,
        ipAssignments: ["10.0.0.5", "2001:db8::5", "x"],
        name: "AS64500",
      }),
    });
    expect(res.json).toMatchObject({
      id: "0A0B0C0D0E",
      authorized: true,
      ipAssignments: ["10.0.0.5", "2001:db8::5"],
    });
    const stored = await raw(emu, "GET", `/controller/network/${nwid}/member/0a0b0c0d0e`);
    expect(stored.json).toMatchObject({ id: "0a0b0c0d0e", name: "AS64500", objtype: "member", vMajor: -1 });
    expect(existsSync(join(emu.homeDir, "controller.d", "network", nwid, "member", "0a0b0c0d0e.json"))).toBe(
      true,
    );
    const list = await raw(emu, "GET", `/controller/network/${nwid}/member`);
    expect(list.json).toEqual({ "0a0b0c0d0e": 1 });
    const unstable = await raw(emu, "GET", `/unstable/controller/network/${nwid}/member`);
    expect(unstable.json).toMatchObject({ meta: { authorizedCount: 1, totalCount: 1 } });
    const deleted = await raw(emu, "DELETE", `/controller/network/${nwid}/member/0a0b0c0d0e`);
    expect(deleted.json).toMatchObject({ id: "0a0b0c0d0e" });
    expect((await raw(emu, "GET", `/controller/network/${nwid}/member/0a0b0c0d0e`)).status).toBe(404);
  });

  it("lists networks and deletes one, returning the deleted object", async () => {
    const nwid = `${emu.address}00aa03`;
    await raw(emu, "POST", `/controller/network/${nwid}`, { body: "{}" });
    expect((await raw(emu, "GET", "/controller/network")).json).toContain(nwid);
    const gone = await raw(emu, "DELETE", `/controller/network/${nwid}`);
    expect(gone.json).toMatchObject({ id: nwid });
    expect((await raw(emu, "GET", "/controller/network")).json).not.toContain(nwid);
  });
});
