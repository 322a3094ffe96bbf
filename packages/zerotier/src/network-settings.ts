import type { NetworkConfig } from "@ztix/core";
import type { NetworkSettings } from "./types.ts";

/** A network's full id: the controller's 10-hex address followed by the configured suffix. */
export function networkIdFor(controllerAddress: string, suffix: string): string {
  return `${controllerAddress}${suffix}`.toLowerCase();
}

/**
 * The controller settings an IX network must have. ZT-IX assigns addresses itself (with
 * conditional writes in DynamoDB), so the controller's auto-assignment stays off: it could
 * otherwise hand out a pool address our allocator does not know about. The pool is still
 * set, so the controller UI shows the plan, and the routes make the static IPs managed.
 */
export function desiredNetworkSettings(network: NetworkConfig): NetworkSettings {
  const routes = [{ target: network.ipv4.prefix, via: null }];
  if (network.ipv6) routes.push({ target: network.ipv6.prefix, via: null });
  return {
    name: network.name,
    private: true,
    mtu: network.mtu,
    ipAssignmentPools: [{ ipRangeStart: network.ipv4.pool_start, ipRangeEnd: network.ipv4.pool_end }],
    routes,
    v4AssignMode: { zt: false },
    v6AssignMode: { zt: false, rfc4193: false, "6plane": false },
  };
}
