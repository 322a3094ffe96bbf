import { type RuntimeConfig, type RuntimeConfigInput, runtimeConfigSchema } from "@ztix/core";
import type { ControllerEmulator } from "@ztix/zerotier-emulator";

export const LAN = {
  suffix: "000001",
  name: "ZT-IX LAN",
  ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.250" },
  ipv6: { prefix: "2001:db8:100::/64", scheme: "asn_embedded" as const },
};

/**
 * Runtime config pointing at an emulator over a direct URL. Its restart command does nothing by
 * itself; run through `emulatorHost` (support/host.ts) it restarts the emulator.
 */
export function controllerTestConfig(
  emu: ControllerEmulator,
  overrides: Partial<RuntimeConfigInput> & { controller?: Record<string, unknown> } = {},
): RuntimeConfig {
  const { controller, ...rest } = overrides;
  return runtimeConfigSchema.parse({
    // No lookups of the real PeeringDB from tests and benches (a test that wants them points at the stand-in).
    peeringdb_api: { enabled: false },
    asn_policy: { allow_documentation: true, allow_private: true },
    networks: [LAN],
    backups: { keep: 3 },
    ...rest,
    controller: {
      transport: { kind: "direct", url: emu.url },
      home_dir: emu.homeDir,
      restart_command: "true",
      request_timeout_ms: 2000,
      ...controller,
    },
  });
}
