import type { ControllerEmulator } from "@ztix/zerotier-emulator";
import { localControllerHost } from "../../src/host/local.ts";
import type { ControllerHost } from "../../src/host/types.ts";

/**
 * The emulator's machine as backup and restore see it: its home dir on this machine, where
 * the configured restart command, once it succeeds, also restarts the emulator — as
 * `systemctl restart zerotier-one` restarts the real controller. The emulator serves from
 * memory, so without this a restore would be validated against the state from before it.
 */
export function emulatorHost(emu: ControllerEmulator, restartCommand: string): ControllerHost {
  const local = localControllerHost(emu.homeDir);
  return {
    ...local,
    async exec(command) {
      const result = await local.exec(command);
      if (command === restartCommand && result.code === 0) await emu.restart();
      return result;
    },
  };
}
