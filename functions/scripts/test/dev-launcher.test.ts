import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { parseRuntimeConfig, type RuntimeConfig } from "@ztix/core";
import { freePort } from "@ztix/local-stack";
import { freshEmulator } from "@ztix/zerotier-emulator";
import { describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { testStack } from "../../../test/support/stack.ts";
import { preflightLocal, startLocalController } from "../src/dev/controller.ts";
import { startStandIn, wantsStandIn } from "../src/dev/demo.ts";
import { localRuntimeConfig } from "../src/dev/local-files.ts";
import { devSettingsText, loadDevSettings, noDevSettings } from "../src/dev/settings.ts";
import { startDataStandIns } from "../src/dev/stand-ins.ts";

/** Whether anything accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const NETWORKS =
  "networks:\n  - { suffix: '000001', name: lan, ipv4: { prefix: 10.0.0.0/24, pool_start: 10.0.0.10, pool_end: 10.0.0.20 } }\n";

const withController = (controller: Record<string, unknown>): RuntimeConfig =>
  testConfig({ controller: { token: { secret: "controller_token" }, ...controller } });

const withPeeringDb = (peeringdb: Record<string, unknown>): RuntimeConfig =>
  testConfig({ auth: { peeringdb: { client_id: "ztix-local", ...peeringdb } } });

describe("the dev launcher's controller emulator", () => {
  it("starts no emulator for a loopback URL unless controller.emulator is true", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "ztix-launcher-"));
    const config = withController({ transport: { kind: "direct", url: `http://127.0.0.1:${port}` } });
    expect(config.controller.emulator).toBe(false);
    expect(await startLocalController(config, dir, "tok")).toBeUndefined();
    expect(await listening(port)).toBe(false);
  });

  it("starts the emulator at the configured URL with the given token when asked to", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "ztix-launcher-"));
    const config = withController({
      emulator: true,
      transport: { kind: "direct", url: `http://127.0.0.1:${port}` },
    });
    const emulator = await startLocalController(config, dir, "launcher-token");
    try {
      expect(emulator?.port).toBe(port);
      expect(emulator?.homeDir).toBe(join(dir, "controller"));
      const res = await fetch(`http://127.0.0.1:${port}/status`, {
        headers: { "X-ZT1-Auth": "launcher-token" },
      });
      expect(res.status).toBe(200);
    } finally {
      await emulator?.stop();
    }
  });

  it("uses a controller already running on this machine instead of starting one on its port", async () => {
    // Stands for a real zerotier-one on 127.0.0.1: before, the launcher tried to start an
    // emulator on the same port and failed with EADDRINUSE.
    const real = await freshEmulator({ token: "real-token" });
    try {
      const stack = await testStack({ secrets: { controller_token: real.token } });
      const config = withController({ transport: { kind: "direct", url: real.url } });
      const dir = mkdtempSync(join(tmpdir(), "ztix-launcher-"));
      expect(await startLocalController(config, dir, real.token)).toBeUndefined();
      const report = await preflightLocal(config, stack.data, fileSecretStore(stack.secretsPath));
      expect(report).toMatchObject({ ok: true, controllerAddress: real.address });
    } finally {
      await real.stop();
    }
  });

  it("refuses controller.emulator with a URL that is not on this machine, naming the field", () => {
    const yaml = `${NETWORKS}controller:\n  emulator: true\n  transport: { kind: direct, url: "http://controller.ix.example.net:9993" }\n`;
    expect(() => parseRuntimeConfig(yaml)).toThrow(/controller\.emulator: the emulator runs on this machine/);
  });
});

describe("the dev launcher's PeeringDB stand-in", () => {
  it("leaves an OpenID provider on localhost alone unless auth.peeringdb.stand_in is true", async () => {
    const port = await freePort();
    const config = withPeeringDb({ issuer: `http://localhost:${port}/` });
    expect(wantsStandIn(config)).toBeUndefined();
    expect(
      await startStandIn(config, mkdtempSync(join(tmpdir(), "ztix-launcher-")), "secret"),
    ).toBeUndefined();
    expect(await listening(port)).toBe(false);
  });

  it("starts the stand-in at the issuer when asked to", async () => {
    const port = await freePort();
    const config = withPeeringDb({ stand_in: true, issuer: `http://localhost:${port}/` });
    const standIn = await startStandIn(config, mkdtempSync(join(tmpdir(), "ztix-launcher-")), "secret");
    try {
      const discovery = await fetch(`http://localhost:${port}/.well-known/openid-configuration`);
      expect(((await discovery.json()) as { issuer: string }).issuer).toMatch(
        new RegExp(`^http://localhost:${port}/?$`),
      );
    } finally {
      await standIn?.stop();
    }
  });

  it("starts nothing when PeeringDB sign-in is disabled, stand_in or not", () => {
    const config = withPeeringDb({ enabled: false, stand_in: true, issuer: "http://localhost:8789/" });
    expect(wantsStandIn(config)).toBeUndefined();
  });

  it("refuses auth.peeringdb.stand_in with an issuer elsewhere, naming the field", () => {
    const yaml = `${NETWORKS}auth:\n  peeringdb: { stand_in: true, issuer: "https://auth.peeringdb.com/" }\n`;
    expect(() => parseRuntimeConfig(yaml)).toThrow(
      /auth\.peeringdb\.stand_in: the stand-in runs on this machine/,
    );
  });
});

describe("the config a first npm run dev writes", () => {
  it("asks for the emulator and the stand-in on the launcher's ports", () => {
    const ports = { api: 18787, controller: 19393, oidc: 18789 };
    const config = parseRuntimeConfig(localRuntimeConfig(ports, "/tmp/ztix-dev"));
    expect(config.controller).toMatchObject({
      emulator: true,
      transport: { kind: "direct", url: "http://127.0.0.1:19393" },
      home_dir: "/tmp/ztix-dev/controller",
    });
    expect(config.auth.peeringdb).toMatchObject({ stand_in: true, issuer: "http://localhost:18789/" });
    expect(config.route_servers).toEqual([]);
    expect(config.route_server_policy.irr.mode).toBe("tag");
  });

  it("lists two local route servers, pinned to the sshd's host key, when this machine can run them", () => {
    const ports = { api: 18787, controller: 19393, oidc: 18789, ssh: 18722, peeringdb: 18791, irr: 18743 };
    const fingerprint = `SHA256:${"B".repeat(43)}`;
    const config = parseRuntimeConfig(
      localRuntimeConfig(ports, "/tmp/ztix-dev", {
        routeServers: {
          baseDir: "/tmp/ztix-dev/route-servers",
          sshPort: 18722,
          sshUser: "alice",
          hostKeyFingerprint: fingerprint,
          userPrivateKey: "unused",
          bird: "/usr/sbin/bird",
          birdc: "/usr/sbin/birdc",
        },
        bgpq4: "/usr/bin/bgpq4",
      }),
    );
    expect(config.route_servers.map((rs) => rs.id)).toEqual(["dev-rs1", "dev-rs2"]);
    expect(config.route_servers[1]).toMatchObject({
      ssh: { host: "127.0.0.1", port: 18722, user: "alice", host_key_fingerprint: fingerprint },
      commands: { birdc: "/usr/sbin/birdc" },
      paths: { control_socket: "/tmp/ztix-dev/route-servers/dev-rs2/bird.ctl" },
    });
    expect(config.route_server_policy.irr.mode).toBe("strict");
    expect(config.peeringdb_api.base_url).toBe("http://127.0.0.1:18791");
    expect(config.irr_sources).toMatchObject({
      host: "127.0.0.1",
      port: 18743,
      bgpq4_path: "/usr/bin/bgpq4",
    });
  });
});

describe("the dev launcher's PeeringDB API and IRR whois stand-ins", () => {
  const dataConfig = (peeringdbPort: number, irrPort: number): RuntimeConfig =>
    testConfig({
      peeringdb_api: {
        base_url: `http://127.0.0.1:${peeringdbPort}`,
        api_key: { secret: "peeringdb_api_key" },
      },
      irr_sources: { host: "127.0.0.1", port: irrPort },
    });

  it("starts neither for URLs on this machine unless .ztix/dev.yaml switches them on", async () => {
    const [pdb, irr] = [await freePort(), await freePort()];
    const running = await startDataStandIns(dataConfig(pdb, irr), noDevSettings, async () => "key");
    try {
      expect(running.peeringdb).toBeUndefined();
      expect(running.whois).toBeUndefined();
      expect(await listening(pdb)).toBe(false);
      expect(await listening(irr)).toBe(false);
    } finally {
      await running.stop();
    }
  });

  it("serves the demo records and RPSL at the configured places when switched on", async () => {
    const [pdb, irr] = [await freePort(), await freePort()];
    const settings = { ...noDevSettings, stand_ins: { peeringdb: true, irr: true } };
    const running = await startDataStandIns(dataConfig(pdb, irr), settings, async () => "the-key");
    try {
      const res = await fetch(`http://127.0.0.1:${pdb}/api/net?asn=64511`, {
        headers: { authorization: "Api-Key the-key" },
      });
      const body = (await res.json()) as { data: { irr_as_set: string; info_prefixes4: number }[] };
      expect(body.data[0]).toMatchObject({ irr_as_set: "AS64511:AS-CUSTOMERS AS64511", info_prefixes4: 25 });
      expect(running.whois?.port).toBe(irr);
      expect(await listening(irr)).toBe(true);
    } finally {
      await running.stop();
    }
  });

  it("refuses a stand-in switched on for a URL elsewhere, naming the setting", async () => {
    const config = testConfig({ peeringdb_api: { base_url: "https://www.peeringdb.com" } });
    const settings = { ...noDevSettings, stand_ins: { peeringdb: true, irr: false } };
    await expect(startDataStandIns(config, settings, async () => "k")).rejects.toThrow(
      /stand_ins\.peeringdb .*peeringdb_api\.base_url must be http:\/\/127\.0\.0\.1/,
    );
  });
});

describe("the dev settings file", () => {
  it("reads the file a first run writes, and treats a missing file as nothing extra", () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-settings-"));
    const path = join(dir, "dev.yaml");
    expect(loadDevSettings(path)).toEqual({ settings: noDevSettings, found: false });
    writeFileSync(path, devSettingsText({ routeServers: ["dev-rs1", "dev-rs2"] }));
    expect(loadDevSettings(path).settings).toEqual({
      stand_ins: { peeringdb: true, irr: true },
      route_servers: ["dev-rs1", "dev-rs2"],
      demo_members: true,
    });
    writeFileSync(path, "stand_ins: { peeringdb: yes-please }\n");
    expect(() => loadDevSettings(path)).toThrow(/stand_ins\.peeringdb/);
  });
});
