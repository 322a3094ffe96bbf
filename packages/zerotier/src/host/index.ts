import type { SecretStore } from "@ztix/aws";
import { SshConnection } from "@ztix/ssh";
import { type ControllerConfig, secretReader } from "../factory.ts";
import { localControllerHost } from "./local.ts";
import { sshControllerHost } from "./ssh.ts";
import type { ControllerHost } from "./types.ts";

export * from "./local.ts";
export * from "./ssh.ts";
export * from "./types.ts";

/**
 * The controller host for the configured transport: over SSH when the API is reached over
 * SSH, else this machine (a direct URL means a local controller or the emulator).
 */
export function createControllerHost(config: ControllerConfig, secrets: SecretStore): ControllerHost {
  if (config.transport.kind === "ssh") {
    const target = config.transport.ssh;
    return sshControllerHost(
      new SshConnection(target, secretReader(secrets, target.private_key.secret)),
      config.home_dir,
    );
  }
  return localControllerHost(config.home_dir);
}
