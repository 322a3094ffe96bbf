/**
 * Names that reach BIRD or the route server's file system. Built only from validated
 * numbers and hex ids, so they are always valid BIRD symbols and safe file names. Every name
 * carries the network, so one node and ASN on two IX networks are two independent members.
 */

export type Family = "ipv4" | "ipv6";

/** What names a member on a route server: its ASN, its network (suffix) and its node. */
export interface MemberIdentity {
  asn: number;
  network: string;
  nodeId: string;
}

/** `AS64501_000001_0123456789.conf`: one file per member per route server. */
export function memberFileName(m: MemberIdentity): string {
  return `AS${m.asn}_${m.network}_${m.nodeId}.conf`;
}

/** Member files are exactly the names `memberFileName` makes. */
export const memberFilePattern = /^AS\d{1,10}_[0-9a-f]{6}_[0-9a-f]{10}\.conf$/;

/** `m_as64501_000001_0123456789_v4`: a member's BGP session for one address family. */
export function memberProtocolName(m: MemberIdentity, family: Family): string {
  return `m_as${m.asn}_${m.network}_${m.nodeId}_${family === "ipv4" ? "v4" : "v6"}`;
}

/** Every member protocol starts so; nothing else in a route server's config does. */
export const MEMBER_PROTOCOL_PREFIX = "m_as";

/**
 * The file in the members directory that records which generated tree BIRD should be running
 * (`define ZTIX_CONFIG_DIGEST = "…";`); not a member file.
 */
export const DIGEST_FILE_NAME = "ztix-config-digest.conf";
export const DIGEST_SYMBOL = "ZTIX_CONFIG_DIGEST";

/** The session template of one network and family, defined in the policy file. */
export function templateName(network: string, family: Family): string {
  return `ztix_member_${network}_${family === "ipv4" ? "v4" : "v6"}`;
}
