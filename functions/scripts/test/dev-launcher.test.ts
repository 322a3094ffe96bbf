import { mkdtempSync } from "node:fs";
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
  });
});
