import type { RouteServerPolicy } from "@ztix/core";
import type { RouteServerMember } from "../member.ts";
import { type Family, memberFileName, memberProtocolName, templateName } from "../names.ts";
import { canonicalAddress, lines } from "./format.ts";
import { policyNames } from "./policy.ts";

export interface RenderedMember {
  /** `AS<asn>_<network>_<node>.conf`, inside the route server's members directory. */
  fileName: string;
  /** The BGP protocols the file defines, one per address family the member has. */
  protocols: string[];
  text: string;
}

/**
 * The import limit for one family: the member's own figure plus headroom (rounded up), or
 * the configured default when the figure is unknown. Never shared across families.
 */
export function maxPrefixLimit(member: RouteServerMember, family: Family, policy: RouteServerPolicy): number {
  const known = member.maxPrefix?.[family];
  if (known === undefined)
    return family === "ipv4" ? policy.max_prefix.ipv4_default : policy.max_prefix.ipv6_default;
  return Math.ceil((known * (100 + policy.max_prefix.headroom_percent)) / 100);
}

/**
 * The file of one member on a route server: a session per address family it has, each from
 * its network's template, with the shared import function, its own peer AS, and a per-family
 * import limit that restarts the session when exceeded. The member must be valid
 * (`parseMember`) and the policy parsed: this runs for every member at every reconcile.
 * Only what BIRD needs is written, so the text changes only when the sessions change.
 */
export function renderMember(member: RouteServerMember, policy: RouteServerPolicy): RenderedMember {
  const text: string[] = [
    `# ZT-IX member AS${member.asn} on network ${member.network}, node ${member.nodeId}.`,
    "# Generated: do not edit; the next reconcile puts it back.",
  ];
  const protocols: string[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const address = member[family];
    if (address === undefined) continue;
    const name = memberProtocolName(member, family);
    protocols.push(name);
    text.push(
      "",
      `protocol bgp ${name} from ${templateName(member.network, family)} {`,
      `  description "AS${member.asn} ${member.network} ${member.nodeId}";`,
      `  neighbor ${canonicalAddress(address)} as ${member.asn};`,
      `  ${family} {`,
      `    import filter { if ${policyNames.importFunction}(${member.asn}) then accept; reject; };`,
      `    import limit ${maxPrefixLimit(member, family, policy)} action restart;`,
      "  };",
      "}",
    );
  }
  return { fileName: memberFileName(member), protocols, text: lines(text) };
}
