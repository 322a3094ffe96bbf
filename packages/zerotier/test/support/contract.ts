import { describe, expect, it } from "vitest";
import type { ControllerError } from "../../src/errors.ts";
import type { ControllerProvider, NetworkSettings } from "../../src/types.ts";

export const settings: NetworkSettings = {
  name: "ZT-IX contract",
  private: true,
  mtu: 2800,
  ipAssignmentPools: [{ ipRangeStart: "192.0.2.10", ipRangeEnd: "192.0.2.250" }],
  routes: [
    { target: "192.0.2.0/24", via: null },
    { target: "2001:db8:100::/64", via: null },
  ],
  v4AssignMode: { zt: false },
  v6AssignMode: { zt: false, rfc4193: false, "6plane": false },
};

/**
 * The behaviour every ControllerProvider must show, run against a live controller
 * (the emulator, directly or through SSH). `ctx()` gives the provider and controller address.
 */
export function providerContract(name: string, ctx: () => { provider: ControllerProvider; address: string }) {
  describe(`${name} provider contract`, () => {
    const nwid = (suffix: string) => `${ctx().address}${suffix}`;

    it("reads the controller status and database readiness", async () => {
      const status = await ctx().provider.status();
      expect(status.address).toBe(ctx().address);
      expect((await ctx().provider.controllerInfo()).databaseReady).toBe(true);
    });

    it("creates a network by full id and reads it back with the settings written", async () => {
      const network = await ctx().provider.upsertNetwork(nwid("c00001"), settings);
      expect(network).toMatchObject({ id: nwid("c00001"), name: settings.name, routes: settings.routes });
      expect(await ctx().provider.listNetworks()).toContain(nwid("c00001"));
    });

    it("returns null for a network that does not exist", async () => {
      expect(await ctx().provider.getNetwork(nwid("c0ffee"))).toBeNull();
    });

    it("refuses a network write the controller silently trims, naming the dropped field", async () => {
      const bad = { ...settings, routes: [...settings.routes, { target: "999.1.1.0/24", via: null }] };
      const err = (await ctx()
        .provider.upsertNetwork(nwid("c00002"), bad)
        .catch((e) => e)) as ControllerError;
      expect(err.code).toBe("controller_write_mismatch");
      expect(err.transient).toBe(false);
      expect(err.details.fields).toEqual(["routes"]);
    });

    it("upserts a member with lower-case ids, idempotently", async () => {
      await ctx().provider.upsertNetwork(nwid("c00003"), settings);
      const update = {
        authorized: true,
        ipAssignments: ["192.0.2.10", "2001:db8:100::6:4500:1"],
        name: "AS64500",
      };
      const first = await ctx().provider.upsertMember(nwid("c00003"), "0A1B2C3D4E", update);
      const second = await ctx().provider.upsertMember(nwid("c00003"), "0a1b2c3d4e", update);
      expect(first).toMatchObject({ id: "0a1b2c3d4e", authorized: true, name: "AS64500" });
      expect(second.ipAssignments).toEqual(update.ipAssignments);
      expect((await ctx().provider.getMember(nwid("c00003"), "0a1b2c3d4e"))?.authorized).toBe(true);
    });

    it("refuses a member whose addresses the controller dropped", async () => {
      await ctx().provider.upsertNetwork(nwid("c00003"), settings);
      const err = (await ctx()
        .provider.upsertMember(nwid("c00003"), "0a1b2c3d4f", {
          authorized: true,
          ipAssignments: ["192.0.2.300"],
          name: "AS1",
        })
        .catch((e) => e)) as ControllerError;
      expect(err.code).toBe("controller_write_mismatch");
    });

    it("fails a member write on a missing network permanently as controller_network_not_found", async () => {
      const err = (await ctx()
        .provider.upsertMember(nwid("c0dead"), "0a1b2c3d4e", {
          authorized: true,
          ipAssignments: [],
          name: "AS1",
        })
        .catch((e) => e)) as ControllerError;
      expect(err.code).toBe("controller_network_not_found");
      expect(err.transient).toBe(false);
    });

    it("deletes a member and says whether there was one", async () => {
      await ctx().provider.upsertNetwork(nwid("c00004"), settings);
      await ctx().provider.upsertMember(nwid("c00004"), "0a1b2c3d4e", {
        authorized: true,
        ipAssignments: [],
        name: "x",
      });
      expect(await ctx().provider.deleteMember(nwid("c00004"), "0a1b2c3d4e")).toBe(true);
      expect(await ctx().provider.deleteMember(nwid("c00004"), "0a1b2c3d4e")).toBe(false);
      expect(await ctx().provider.getMember(nwid("c00004"), "0a1b2c3d4e")).toBeNull();
    });
  });
}
