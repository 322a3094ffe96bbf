/**
 * Names that reach BIRD or the route server's file system. Built only from validated
 * numbers and hex ids, so they are always valid BIRD symbols and safe file names.
 */

export type Family = "ipv4" | "ipv6";

/** `AS64501_0123456789.conf`: one file per member per route server. */
export function memberFileName(asn: number, nodeId: string): string {
  return `AS${asn}_${nodeId}.conf`;
}

/** `m_as64501_0123456789_v4`: a member's BGP session for one address family. */
export function memberProtocolName(asn: number, nodeId: string, family: Family): string {
  return `m_as${asn}_${nodeId}_${family === "ipv4" ? "v4" : "v6"}`;
}

/** The apply lock of one route server (a `lease` item). */
export function routeServerLeaseName(routeServerId: string): string {
  return `route-server:${routeServerId}`;
}
