import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { type SshdInstance, sshdPresent, startSshd } from "@ztix/local-stack";
import { type ControllerEmulator, freshEmulator } from "@ztix/zerotier-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireSystem } from "../../../test/support/system.ts";
import type { ControllerError } from "../src/errors.ts";
import { createControllerProvider } from "../src/factory.ts";
import { createControllerHost } from "../src/host/index.ts";
import type { ControllerProvider } from "../src/types.ts";
import { controllerTestConfig } from "./support/config.ts";
import { providerContract } from "./support/contract.ts";

const run = requireSystem("sshd", sshdPresent());

describe.skipIf(!run)("controller over SSH (real sshd on loopback forwarding to the emulator)", () => {
  let emu: ControllerEmulator;
  let sshd: SshdInstance;
  let provider: ControllerProvider;
  let secretsPath: string;

  const sshConfig = (fingerprint: string) =>
    controllerTestConfig(emu, {
      controller: {
        transport: {
          kind: "ssh",
          ssh: {
            host: "127.0.0.1",
            port: sshd.port,
            user: sshd.user,
            host_key_fingerprint: fingerprint,
            private_key: { secret: "controller_ssh_key" },
            connect_timeout_ms: 5000,
          },
          remote_host: "127.0.0.1",
          remote_port: emu.port,
        },
      },
    });

  beforeAll(async () => {
    emu = await freshEmulator();
    sshd = await startSshd();
    secretsPath = join(mkdtempSync(join(tmpdir(), "ztix-secrets-")), "secrets.json");
    writeFileSync(
      secretsPath,
      JSON.stringify({ controller_token: emu.token, controller_ssh_key: sshd.userPrivateKey }),
    );
    provider = createControllerProvider(
      sshConfig(sshd.hostKeyFingerprint).controller,
      fileSecretStore(secretsPath),
    );
  });
  afterAll(async () => {
    await provider?.close();
    await sshd?.stop();
    await emu?.stop();
  });

  providerContract("self_hosted_controller over SSH", () => ({ provider, address: emu.address }));

  it("refuses a host whose key does not match the pinned fingerprint", async () => {
    const pinnedWrong = createControllerProvider(
      sshConfig(sshd.otherFingerprint).controller,
      fileSecretStore(secretsPath),
    );
    const err = (await pinnedWrong.status().catch((e) => e)) as ControllerError;
    await pinnedWrong.close();
    expect(err.code).toBe("controller_host_key_mismatch");
    expect(err.transient).toBe(false);
    expect(err.message).toContain(sshd.hostKeyFingerprint);
  });

  it("reconnects after the SSH connection drops and the call still succeeds", async () => {
    await provider.status();
    const loginsBefore = sshd.logins();
    sshd.dropConnections();
    expect((await provider.status()).address).toBe(emu.address);
    expect(sshd.logins()).toBe(loginsBefore + 1);
  });

  it("retries a request whose forwarded connection is reset mid-flight", async () => {
    const before = emu.requests.filter((r) => r === "GET /controller").length;
    emu.injectFault({ path: /^\/controller$/, reset: true });
    expect((await provider.controllerInfo()).databaseReady).toBe(true);
    expect(emu.requests.filter((r) => r === "GET /controller").length - before).toBe(2);
  });

  it("runs commands and streams an archive of the controller home over SSH", async () => {
    const host = createControllerHost(
      sshConfig(sshd.hostKeyFingerprint).controller,
      fileSecretStore(secretsPath),
    );
    const res = await host.exec("echo hello");
    expect(res).toMatchObject({ code: 0, stdout: "hello\n" });
    const chunks: Buffer[] = [];
    const { PassThrough } = await import("node:stream");
    const sink = new PassThrough();
    sink.on("data", (c: Buffer) => chunks.push(c));
    await host.readArchive(sink);
    expect(Buffer.concat(chunks).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip magic
    // Lose the database, push the archive back over SSH: the networks return.
    const before = await provider.listNetworks();
    expect(before.length).toBeGreaterThan(0);
    // The controller reads controller.d/ at start, so each step restarts it as an operator would.
    rmSync(join(emu.homeDir, "controller.d"), { recursive: true, force: true });
    await emu.restart();
    expect(await provider.listNetworks()).toEqual([]);
    await host.writeArchive(Buffer.concat(chunks));
    await emu.restart();
    expect(await provider.listNetworks()).toEqual(before);
    await expect(host.writeArchive(Buffer.from("not a tarball"))).rejects.toThrow(/restoring into/);
    await emu.restart();
    expect(await provider.listNetworks()).toEqual(before);
    await host.close();
  });
});
