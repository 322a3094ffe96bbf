import { type RuntimeConfig, type RuntimeConfigInput, runtimeConfigSchema } from "@ztix/core";

export const TEST_ORIGIN = "http://localhost:8787";
/** The emulated controller's address + suffix 000001. */
export const TEST_NETWORK_ID = "8056c2e21c000001";

/** A valid runtime config for tests; documentation ASNs allowed (tests only use those). */
export function testConfig(overrides: Partial<RuntimeConfigInput> = {}): RuntimeConfig {
  return runtimeConfigSchema.parse({
    // No lookups of the real PeeringDB from tests and benches (a test that wants them points at the stand-in).
    peeringdb_api: { enabled: false },
    public_url: TEST_ORIGIN,
    asn_policy: { allow_documentation: true, allow_private: true },
    networks: [
      {
        suffix: "000001",
        name: "ZT-IX LAN",
        ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.250" },
        ipv6: { prefix: "2001:db8:100::/64", scheme: "asn_embedded" },
      },
    ],
    ...overrides,
  });
}
