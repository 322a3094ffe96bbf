import { join } from "node:path";
import type { SecretStore } from "@ztix/aws";
import type { RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { createControllerProvider, runPreflight } from "@ztix/zerotier";
import { type ControllerEmulator, startControllerEmulator } from "@ztix/zerotier/emulator";

/**
 * When the config's controller is a direct URL on this machine, run the controller emulator
 * there (state under .ztix/controller, token from the local secrets file). Any other
 * transport means a real controller: nothing is started.
 */
export async function startLocalController(
  config: RuntimeConfig,
  dir: string,
  token: string,
): Promise<ControllerEmulator | undefined> {
  const transport = config.controller.transport;
  if (config.controller.provider !== "self_hosted_controller" || transport.kind !== "direct")
    return undefined;
  const url = new URL(transport.url);
  if (!["127.0.0.1", "localhost"].includes(url.hostname)) return undefined;
  return startControllerEmulator({ homeDir: join(dir, "controller"), port: Number(url.port || 9993), token });
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
