import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { type ControllerEmulator, freshEmulator } from "@ztix/zerotier-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerError } from "../src/errors.ts";
import { createControllerProvider } from "../src/factory.ts";
import type { ControllerProvider } from "../src/types.ts";
import { controllerTestConfig } from "./support/config.ts";
import { providerContract } from "./support/contract.ts";

function secretsFile(values: Record<string, string>) {
  const path = join(mkdtempSync(join(tmpdir(), "ztix-secrets-")), "secrets.json");
  writeFileSync(path, JSON.stringify(values));
  return { path, store: fileSecretStore(path) };
}

let emu: ControllerEmulator;
let provider: ControllerProvider;
beforeAll(async () => {
  emu = await freshEmulator();
  const config = controllerTestConfig(emu);
  provider = createControllerProvider(config.controller, secretsFile({ controller_token: emu.token }).store);
});
afterAll(async () => {
  await provider.close();
  await emu.stop();
});

providerContract("self_hosted_controller over a direct URL", () => ({ provider, address: emu.address }));

describe("self_hosted_controller error classification", () => {
  it("classifies a wrong token as permanent controller_unauthorized", async () => {
    const wrong = createControllerProvider(
      controllerTestConfig(emu).controller,
      secretsFile({ controller_token: "nope" }).store,
    );
    const err = (await wrong.status().catch((e) => e)) as ControllerError;
    expect(err.code).toBe("controller_unauthorized");
    expect(err.transient).toBe(false);
    await wrong.close();
  });

  it("classifies a missing token secret as permanent controller_secret_missing", async () => {
    const none = createControllerProvider(controllerTestConfig(emu).controller, secretsFile({}).store);
    const err = (await none.status().catch((e) => e)) as ControllerError;
    expect(err.code).toBe("controller_secret_missing");
    await none.close();
  });

  it("classifies 5xx answers and a database that is not ready as transient", async () => {
    emu.injectFault({ path: /^\/status$/, status: 502 });
    const err = (await provider.status().catch((e) => e)) as ControllerError;
    expect(err.code).toBe("controller_server_error");
    expect(err.transient).toBe(true);
    emu.setReady(false);
    const notReady = (await provider.controllerInfo().catch((e) => e)) as ControllerError;
    emu.setReady(true);
    expect(notReady.code).toBe("controller_not_ready");
    expect(notReady.transient).toBe(true);
  });

  it("classifies a refused connection as transient controller_unreachable", async () => {
    const down = createControllerProvider(
      controllerTestConfig(emu, { controller: { transport: { kind: "direct", url: "http://127.0.0.1:9" } } })
        .controller,
      secretsFile({ controller_token: emu.token }).store,
    );
    const err = (await down.status().catch((e) => e)) as ControllerError;
    expect(err.code).toBe("controller_unreachable");
    expect(err.transient).toBe(true);
    await down.close();
  });

  it("retries once after a connection reset and then succeeds", async () => {
    const before = emu.requests.length;
    emu.injectFault({ path: /^\/status$/, reset: true });
    expect((await provider.status()).address).toBe(emu.address);
    expect(emu.requests.length - before).toBe(2);
  });
});
