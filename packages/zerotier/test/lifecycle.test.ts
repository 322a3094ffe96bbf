import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileSecretStore, type SecretStore } from "@ztix/aws";
import { auditTrail } from "@ztix/data";
import { type ControllerEmulator, freshEmulator, raw } from "@ztix/zerotier-emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { ControllerError } from "../src/errors.ts";
import { createControllerProvider } from "../src/factory.ts";
import { closeGate, readGate } from "../src/lifecycle/gate.ts";
import { checkGate } from "../src/lifecycle/gate-check.ts";
import { type LifecycleDeps, runPreflight } from "../src/lifecycle/preflight.ts";
import { reloadToken } from "../src/lifecycle/token.ts";
import { controllerTestConfig, LAN } from "./support/config.ts";

let emu: ControllerEmulator;
let stack: TestStack;
let secrets: SecretStore;
let deps: LifecycleDeps & { secrets: SecretStore };

const setToken = (value: string) =>
  writeFileSync(stack.secretsPath, JSON.stringify({ controller_token: value }));

beforeAll(async () => {
  emu = await freshEmulator({ token: "lifecycle-token" });
  stack = await testStack({ secrets: { controller_token: emu.token } });
  secrets = fileSecretStore(stack.secretsPath);
  const config = controllerTestConfig(emu, {
    networks: [LAN, { ...LAN, suffix: "000002", name: "ZT-IX LAN 2", ipv6: undefined }],
  });
  deps = {
    config,
    data: stack.data,
    provider: createControllerProvider(config.controller, secrets),
    secrets,
  };
});
afterAll(async () => {
  await deps.provider.close();
  await emu.stop();
});
beforeEach(() => {
  emu.setReady(true);
  setToken(emu.token);
});

describe("controller preflight and reconciliation", () => {
  it("creates the missing networks, syncs the DynamoDB list and opens the gate", async () => {
    const report = await runPreflight(deps);
    expect(report.ok).toBe(true);
    expect(report.networks.map((n) => [n.networkId, n.action])).toEqual([
      [`${emu.address}000001`, "created"],
      [`${emu.address}000002`, "created"],
    ]);
    const network = await deps.provider.getNetwork(`${emu.address}000001`);
    expect(network).toMatchObject({
      name: "ZT-IX LAN",
      private: true,
      ipAssignmentPools: [{ ipRangeStart: "192.0.2.10", ipRangeEnd: "192.0.2.250" }],
      routes: [
        { target: "192.0.2.0/24", via: null },
        { target: "2001:db8:100::/64", via: null },
      ],
    });
    const listed = (await stack.data.entities.ixNetwork.query.all({}).go()).data;
    expect(listed.map((n) => [n.networkId, n.active])).toEqual([
      [`${emu.address}000001`, true],
      [`${emu.address}000002`, true],
    ]);
    expect(await readGate(stack.data)).toMatchObject({ gateOpen: true, controllerAddress: emu.address });
    const actions = (await auditTrail(stack.data, "controller")).map((e) => e.action);
    expect(actions).toContain("controller.gate_opened");
    expect(actions.filter((a) => a === "controller.network_created")).toHaveLength(2);
  });

  it("repairs settings changed on the controller and leaves matching ones alone", async () => {
    await raw(emu, "POST", `/controller/network/${emu.address}000001`, {
      body: JSON.stringify({ name: "renamed", private: false, mtu: 1400, routes: [] }),
    });
    const report = await runPreflight(deps);
    expect(report.networks[0]).toMatchObject({
      action: "updated",
      fields: ["name", "private", "mtu", "routes"],
    });
    expect(report.networks[1]).toMatchObject({ action: "unchanged" });
    expect(
      (await auditTrail(stack.data, "controller")).find((e) => e.action === "controller.network_repaired"),
    ).toMatchObject({
      action: "controller.network_repaired",
      metadata: { networkId: `${emu.address}000001`, fields: ["name", "private", "mtu", "routes"] },
    });
    expect(await deps.provider.getNetwork(`${emu.address}000001`)).toMatchObject({
      name: "ZT-IX LAN",
      private: true,
      mtu: 2800,
    });
  });

  it("deactivates DynamoDB networks that are no longer configured", async () => {
    const fewer = { ...deps, config: { ...deps.config, networks: [deps.config.networks[0]!] } };
    const report = await runPreflight(fewer);
    expect(report.deactivated).toEqual([`${emu.address}000002`]);
    const stale = await stack.data.entities.ixNetwork.get({ networkId: `${emu.address}000002` }).go();
    expect(stale.data?.active).toBe(false);
    expect((await auditTrail(stack.data, "controller")).map((e) => e.action)).toContain(
      "controller.network_deactivated",
    );
    await runPreflight(deps);
  });

  it("closes the gate with a self-healing code when something outside the controller fails", async () => {
    // DynamoDB Local cannot be made to throttle: fail the network-list read in its place.
    const throttled = new Proxy(stack.data, {
      get(target, prop, receiver) {
        if (prop !== "entities") return Reflect.get(target, prop, receiver);
        return {
          ...target.entities,
          ixNetwork: {
            query: {
              all: () => ({
                go: () =>
                  Promise.reject(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })),
              }),
            },
          },
        };
      },
    });
    const report = await runPreflight({ ...deps, data: throttled });
    expect(report.error?.code).toBe("preflight_interrupted");
    expect(await readGate(stack.data)).toMatchObject({
      gateOpen: false,
      reasonCode: "preflight_interrupted",
    });
    const later = { ...deps, now: () => new Date(Date.now() + 60_000) };
    expect(await checkGate(later)).toMatchObject({ open: true });
  });

  it.each([
    ["the database is not ready", () => emu.setReady(false), "controller_not_ready"],
    ["the token is wrong", () => setToken("wrong-token"), "controller_unauthorized"],
    [
      "the token secret is missing",
      () => writeFileSync(stack.secretsPath, "{}"),
      "controller_secret_missing",
    ],
    [
      "the controller answers 5xx",
      () => emu.injectFault({ path: /^\/status$/, status: 500 }),
      "controller_server_error",
    ],
    [
      "a network write is silently trimmed",
      () => emu.injectFault({ method: "GET", path: /000002$/, status: 404 }),
      "controller_write_mismatch",
    ],
  ])("closes the gate with a remediation code when %s", async (_what, breakIt, code) => {
    breakIt();
    const report = await runPreflight(
      code === "controller_write_mismatch"
        ? {
            ...deps,
            // A route the controller drops silently (a /33, which only a config built past the schema can hold).
            config: {
              ...deps.config,
              networks: [
                deps.config.networks[0]!,
                {
                  ...deps.config.networks[1]!,
                  ipv4: { ...deps.config.networks[1]!.ipv4, prefix: "192.0.2.0/33" },
                },
              ],
            },
          }
        : deps,
    );
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe(code);
    expect(report.error?.remediation).toBeTruthy();
    expect(await readGate(stack.data)).toMatchObject({ gateOpen: false, reasonCode: code });
    setToken(emu.token);
    emu.setReady(true);
    expect((await runPreflight(deps)).ok).toBe(true);
  });

  it("closes the gate when the controller is unreachable", async () => {
    const down = controllerTestConfig(emu, {
      controller: { transport: { kind: "direct", url: "http://127.0.0.1:9" } },
    });
    const provider = createControllerProvider(down.controller, secrets);
    const report = await runPreflight({ ...deps, config: down, provider });
    expect(report.error?.code).toBe("controller_unreachable");
    expect((await readGate(stack.data))?.gateOpen).toBe(false);
    await runPreflight(deps);
  });
});

describe("controller identity", () => {
  it("refuses a controller whose node address changed, unless told to accept it", async () => {
    await runPreflight(deps);
    const identity = join(emu.homeDir, "identity.public");
    const original = readFileSync(identity, "utf8");
    const address = emu.address;
    writeFileSync(identity, original.replace(address, "0badc0ffee"));
    // zerotier-one reads its identity at start: the new address shows only after a restart.
    await emu.restart();
    try {
      const refused = await runPreflight(deps);
      expect(refused.error?.code).toBe("controller_identity_changed");
      expect(await readGate(stack.data)).toMatchObject({
        gateOpen: false,
        reasonCode: "controller_identity_changed",
      });
      const accepted = await runPreflight({ ...deps, acceptNewIdentity: true });
      expect(accepted.ok).toBe(true);
      expect(accepted.networks[0]).toMatchObject({ networkId: "0badc0ffee000001", action: "created" });
      expect(accepted.deactivated).toEqual([`${address}000001`, `${address}000002`]);
    } finally {
      writeFileSync(identity, original);
      await emu.restart();
      await runPreflight({ ...deps, acceptNewIdentity: true });
    }
    expect((await readGate(stack.data))?.controllerAddress).toBe(address);
  });
});

describe("gate check before a job", () => {
  it("trusts a fresh open gate without calling the controller", async () => {
    await runPreflight(deps);
    const before = emu.requests.length;
    expect(await checkGate(deps)).toEqual({ open: true, controllerAddress: emu.address, reopened: false });
    expect(emu.requests.length).toBe(before);
  });

  it("re-checks a fresh open gate at once when the caller just met a 401, and closes it", async () => {
    await runPreflight(deps);
    setToken("a-token-the-controller-no-longer-takes");
    const seen = await deps.provider.getMember(`${emu.address}000001`, "0c0ffee000").catch((e: unknown) => e);
    expect(seen).toMatchObject({ code: "controller_unauthorized" });
    // Without being told, the fresh gate is trusted until preflight_max_age_seconds.
    expect(await checkGate(deps)).toMatchObject({ open: true });
    expect(await checkGate(deps, { after: seen })).toMatchObject({
      open: false,
      code: "controller_unauthorized",
    });
    expect(await readGate(stack.data)).toMatchObject({
      gateOpen: false,
      reasonCode: "controller_unauthorized",
    });
    setToken(emu.token);
    await runPreflight(deps);
  });

  it("keeps the gate open when the 401 the caller met does not repeat", async () => {
    await runPreflight(deps);
    const before = emu.requests.length;
    const stale401 = new ControllerError("controller_unauthorized", "POST member: HTTP 401");
    expect(await checkGate(deps, { after: stale401 })).toEqual({
      open: true,
      controllerAddress: emu.address,
      reopened: false,
    });
    expect(emu.requests.length).toBeGreaterThan(before); // it did ask the controller
  });

  it("trusts a fresh open gate after an error a preflight cannot settle (a 500)", async () => {
    await runPreflight(deps);
    const before = emu.requests.length;
    const err = new ControllerError("controller_server_error", "POST member: HTTP 500");
    expect(await checkGate(deps, { after: err })).toMatchObject({ open: true });
    expect(emu.requests.length).toBe(before);
  });

  it("reopens a gate closed on a wrong token by itself once the right one is in the store", async () => {
    setToken("wrong-token");
    await runPreflight(deps);
    expect(await checkGate(deps)).toMatchObject({ open: false, code: "controller_unauthorized" });
    setToken(emu.token); // fixed in the store; nobody touches the gate or the requests
    const later = { ...deps, now: () => new Date(Date.now() + 60_000) };
    expect(await checkGate(later)).toMatchObject({ open: true, reopened: true });
  });

  it("keeps a gate closed for a reason only an operator can clear, without retrying preflight", async () => {
    await closeGate(
      { data: stack.data },
      new ControllerError("controller_identity_changed", "the controller is now another node"),
    );
    const before = emu.requests.length;
    const stale = { ...deps, now: () => new Date(Date.now() + 3600_000) };
    expect(await checkGate(stale)).toMatchObject({ open: false, code: "controller_identity_changed" });
    expect(emu.requests.length).toBe(before);
  });

  it("re-checks a gate closed for a transient reason once the retry interval passed, and says it reopened", async () => {
    emu.setReady(false);
    await runPreflight(deps);
    emu.setReady(true);
    expect(await checkGate(deps)).toMatchObject({ open: false, code: "controller_not_ready" });
    const later = { ...deps, now: () => new Date(Date.now() + 60_000) };
    expect(await checkGate(later)).toMatchObject({ open: true, reopened: true });
    const muchLater = { ...deps, now: () => new Date(Date.now() + 3600_000) };
    expect(await checkGate(muchLater)).toMatchObject({ open: true, reopened: false });
  });
});

describe("reporting a reopened gate", () => {
  it("reports reopened only for the preflight that took the gate from closed to open", async () => {
    emu.setReady(false);
    expect(await runPreflight(deps)).toMatchObject({ ok: false, reopened: false });
    emu.setReady(true);
    expect(await runPreflight(deps)).toMatchObject({ ok: true, reopened: true });
    expect(await runPreflight(deps)).toMatchObject({ ok: true, reopened: false });
  });

  it("closes the gate on a worker's 401 through closeGate, and the next successful preflight reports it reopened", async () => {
    await runPreflight(deps);
    setToken("wrong-token");
    const e = await deps.provider
      .upsertMember(`${emu.address}000001`, "0c0ffee001", {
        authorized: true,
        ipAssignments: [],
        name: "AS64500",
      })
      .catch((err: unknown) => err);
    expect(await closeGate(deps, e)).toMatchObject({ applied: true });
    expect(await checkGate(deps)).toMatchObject({ open: false, code: "controller_unauthorized" });
    setToken(emu.token);
    expect(await reloadToken(deps)).toMatchObject({ ok: true, reopened: true });
  });
});

describe("token reload", () => {
  it("reopens the gate after the rotated token is stored and reloaded", async () => {
    await emu.rotateToken("rotated-token");
    const failing = await runPreflight(deps);
    expect(failing.error?.code).toBe("controller_unauthorized");
    setToken("rotated-token");
    const report = await reloadToken({ ...deps, actor: { actorType: "admin", actorId: "ops" } });
    expect(report.ok).toBe(true);
    expect((await readGate(stack.data))?.gateOpen).toBe(true);
    expect((await auditTrail(stack.data, "controller")).map((e) => e.action)).toContain(
      "controller.token_reloaded",
    );
    await emu.rotateToken("lifecycle-token");
  });

  it("keeps the gate closed when the reloaded token is still wrong", async () => {
    await emu.rotateToken("rotated-again");
    const report = await reloadToken(deps);
    expect(report.ok).toBe(false);
    expect(await readGate(stack.data)).toMatchObject({
      gateOpen: false,
      reasonCode: "controller_unauthorized",
    });
    expect((await auditTrail(stack.data, "controller")).map((e) => e.action)).toContain(
      "controller.token_reload_failed",
    );
    await emu.rotateToken("lifecycle-token");
  });
});
