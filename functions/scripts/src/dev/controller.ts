import { join } from "node:path";
import type { SecretStore } from "@ztix/aws";
import type { RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { createControllerProvider, runPreflight } from "@ztix/zerotier";
import { type ControllerEmulator, startControllerEmulator } from "@ztix/zerotier-emulator";

/**
 * Runs the controller emulator only when the config asks for it (`controller.emulator: true`,
 * which the schema allows only with a direct URL on this machine): state under
 * .ztix/controller, token from the local secrets file. Otherwise the configured controller is
 * used as it is, even on 127.0.0.1 (a real zerotier-one on this machine), and nothing starts.
 */
export async function startLocalController(
  config: RuntimeConfig,
  dir: string,
  token: string,
): Promise<ControllerEmulator | undefined> {
  const { emulator, transport } = config.controller;
  if (!emulator || transport.kind !== "direct") return undefined;
  const url = new URL(transport.url);
  return startControllerEmulator({ homeDir: join(dir, "controller"), port: Number(url.port || 80), token });
}

/** Creates/reconciles the IX networks on the controller and opens the gate (as `npm run controller -- preflight`). */
export async function preflightLocal(config: RuntimeConfig, data: DataService, secrets: SecretStore) {
  const provider = createControllerProvider(config.controller, secrets);
  try {
    return await runPreflight({
      config,
      data,
      provider,
      actor: { actorType: "system", actorId: "dev-launcher" },
    });
  } finally {
    await provider.close();
  }
}
