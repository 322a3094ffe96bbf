import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { runtimeConfigSchema } from "@ztix/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerError } from "../src/errors.ts";
import { createControllerProvider } from "../src/factory.ts";
import type { ControllerProvider } from "../src/types.ts";
import { startCentralFake } from "./support/central-fake.ts";
import { LAN } from "./support/config.ts";
import { settings } from "./support/contract.ts";

const ADDRESS = "1c33c1ced0";
const NWID = `${ADDRESS}000001`;
let fake: Awaited<ReturnType<typeof startCentralFake>>;
let provider: ControllerProvider;

function centralProvider(token: string) {
  const path = join(mkdtempSync(join(tmpdir(), "ztix-central-")), "secrets.json");
  writeFileSync(path, JSON.stringify({ central_token: token }));
  const config = runtimeConfigSchema.parse({
    networks: [LAN],
    controller: { provider: "central", central: { url: fake.url, controller_address: ADDRESS } },
  });
  return createControllerProvider(config.controller, fileSecretStore(path));
}

beforeAll(async () => {
  fake = await startCentralFake({ token: "central-token", networks: [NWID] });
  provider = centralProvider("central-token");
});
afterAll(async () => {
  await provider.close();
  await fake.stop();
});

describe("central provider (compatibility)", () => {
  it("reports the configured controller address and lists Central's networks", async () => {
    expect((await provider.status()).address).toBe(ADDRESS);
    expect((await provider.controllerInfo()).databaseReady).toBe(true);
    expect(await provider.listNetworks()).toEqual([NWID]);
  });

  it("updates an existing network's settings under config and reads them back", async () => {
    const network = await provider.upsertNetwork(NWID, settings);
    expect(network).toMatchObject({ id: NWID, name: settings.name, routes: settings.routes });
  });

  it("cannot create a network with a chosen id: a permanent controller_network_not_found", async () => {
    const err = (await provider
      .upsertNetwork(`${ADDRESS}00beef`, settings)
      .catch((e) => e)) as ControllerError;
    expect(err.code).toBe("controller_network_not_found");
    expect(err.transient).toBe(false);
  });

  it("authorizes a member with settings nested under config, lower-casing ids", async () => {
    const member = await provider.upsertMember(NWID, "0A1B2C3D4E", {
      authorized: true,
      ipAssignments: ["192.0.2.10"],
      name: "AS64500",
    });
    expect(member).toMatchObject({
      id: "0a1b2c3d4e",
      authorized: true,
      ipAssignments: ["192.0.2.10"],
      name: "AS64500",
    });
    expect(fake.members.get(`${NWID}-0a1b2c3d4e`)).toMatchObject({ config: { authorized: true } });
    expect(await provider.deleteMember(NWID, "0a1b2c3d4e")).toBe(true);
    expect(await provider.getMember(NWID, "0a1b2c3d4e")).toBeNull();
  });

  it("classifies a rejected API token as permanent controller_unauthorized", async () => {
    const wrong = centralProvider("wrong");
    const err = (await wrong.listNetworks().catch((e) => e)) as ControllerError;
    expect(err.code).toBe("controller_unauthorized");
    await wrong.close();
  });
});
