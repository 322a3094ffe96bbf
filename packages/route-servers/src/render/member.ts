import type { RouteServerPolicy } from "@ztix/core";
import { birdPrefixSet } from "@ztix/irr";
import type { RouteServerMember } from "../member.ts";
import { type Family, memberFileName, memberProtocolName, templateName } from "../names.ts";
import { canonicalAddress, lines } from "./format.ts";
import { importFunctionName, policyNames } from "./policy.ts";
import { isCanonicalPrefix } from "./prefixes.ts";

export interface RenderedMember {
  /** `AS<asn>_<network>_<node>.conf`, inside the route server's members directory. */
  fileName: string;
  /** The BGP protocols the file defines, one per address family the member has. */
  protocols: string[];
  text: string;
}

/**
 * The receive limit for one family: the caller's resolved `receiveLimit` when it gives one;
 * else the member's own figure plus headroom (rounded up) but never below the floor; else the
 * configured default. Never shared across families. BIRD's `receive limit` counts every route
 * the member sends, filtered ones included (with `import table on` it counts the Adj-RIB-In),
 * so `import keep filtered` stays bounded.
 */
export function maxPrefixLimit(member: RouteServerMember, family: Family, policy: RouteServerPolicy): number {
  const resolved = member.receiveLimit?.[family];
  if (resolved !== undefined) return resolved;
  const known = member.maxPrefix?.[family];
  const mp = policy.max_prefix;
  if (known === undefined) return family === "ipv4" ? mp.ipv4_default : mp.ipv6_default;
  const withHeadroom = Math.ceil((known * (100 + mp.headroom_percent)) / 100);
  return Math.max(withHeadroom, family === "ipv4" ? mp.ipv4_floor : mp.ipv6_floor);
}

/** The BIRD symbol of a member's IRR prefix set for one family. */
export function irrSetName(member: RouteServerMember, family: Family): string {
  return `ztix_irr_${memberProtocolName(member, family)}`;
}

/**
 * One family's IRR prefixes as set entries: each registered route and its more-specifics up to
 * the longest prefix any route may have here, the blackhole maximum (the import checks' length
 * test, which runs first, still holds ordinary routes to the ordinary maximum). A registered
 * prefix shorter than the policy's minimum is left out: it could only vouch for its
 * more-specifics, and a route object for 0.0.0.0/0 or a /7 in someone's as-set is a registry
 * accident that would otherwise make every route "registered".
 */
function irrSet(prefixes: readonly string[], family: Family, policy: RouteServerPolicy) {
  const [minLength, ordinaryMax] = family === "ipv4" ? policy.ipv4_prefix_length : policy.ipv6_prefix_length;
  const blackholeMax =
    family === "ipv4" ? policy.blackholing.ipv4_max_length : policy.blackholing.ipv6_max_length;
  for (const p of prefixes) {
    // Defence in depth for a caller that skipped parseMember: nothing else reaches the file.
    if (!isCanonicalPrefix(p, family)) throw new Error(`not a canonical ${family} prefix in the IRR list`);
  }
  const kept = prefixes.filter((p) => Number(p.slice(p.indexOf("/") + 1)) >= minLength);
  // birdPrefixSet sorts and de-duplicates; its `[ a, b ]` is split into one entry per line.
  const set = birdPrefixSet(kept, { maxLength: Math.max(ordinaryMax, blackholeMax) });
  const entries = set === "[ ]" ? [] : set.slice(2, -2).split(", ");
  return { entries, leftOut: prefixes.length - kept.length };
}

/** Defence in depth: the as-set lands in a comment, so it must not be able to end one. */
const SAFE_OBJECT_NAME = /^[A-Z0-9:_-]{1,255}$/;

function irrComment(member: RouteServerMember, policy: RouteServerPolicy): string[] {
  const irr = member.irr;
  if (policy.irr.mode === "off") return [];
  if (!irr) return ["# IRR: no data for this member (its routes count as not registered)."];
  if (irr.asSet !== undefined && !SAFE_OBJECT_NAME.test(irr.asSet))
    throw new Error(`unsafe IRR object name for AS${member.asn}`);
  const source = irr.asSet ? ` from ${irr.asSet}` : "";
  const stale = irr.stale ? " Stale: the latest refresh failed; these are the last good lists." : "";
  return [`# IRR prefix lists${source}.${stale}`];
}

/**
 * The file of one member on a route server: a session per address family it has, each from
 * its network's template, calling its network's import function with its peer AS and IRR
 * prefix set, the export function with its peer AS (action communities are per peer), and a
 * per-family receive limit that restarts the session when exceeded. The member must be valid
 * (`parseMember`) and the policy parsed: this runs for every member at every reconcile.
 * Only what BIRD needs is written, so the text changes only when the sessions change.
 *
 * The filters are `where <call>` (accept when the call returns true, else reject), never
 * inline `filter { … }` blocks: BIRD 2.0.12 parses inline filter blocks in time that grows
 * with the square of their number. Measured with `bird -p` at 2,000 members (4,000 sessions,
 * an import and an export filter each): 13.5 s of CPU with blocks, 0.05 s with `where`.
 */
export function renderMember(member: RouteServerMember, policy: RouteServerPolicy): RenderedMember {
  const text: string[] = [
    `# ZT-IX member AS${member.asn} on network ${member.network}, node ${member.nodeId}.`,
    "# Generated: do not edit; the next reconcile puts it back.",
    ...irrComment(member, policy),
  ];
  const protocols: string[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const address = member[family];
    if (address === undefined) continue;
    const name = memberProtocolName(member, family);
    protocols.push(name);
    let irrArgs = "[ ], false";
    const list = member.irr?.[family];
    if (policy.irr.mode !== "off" && list !== undefined) {
      const set = irrSet(list, family, policy);
      if (set.leftOut > 0)
        text.push(
          `# Left out, shorter than the policy accepts: ${set.leftOut} registered ${family} prefix(es).`,
        );
      if (set.entries.length > 0) {
        const setName = irrSetName(member, family);
        // One entry per line: a changed route object changes one line of the file.
        text.push("", `define ${setName} = [`, `  ${set.entries.join(",\n  ")}`, "];");
        irrArgs = `${setName}, true`;
      }
    }
    text.push(
      "",
      `protocol bgp ${name} from ${templateName(member.network, family)} {`,
      `  description "AS${member.asn} ${member.network} ${member.nodeId}";`,
      `  neighbor ${canonicalAddress(address)} as ${member.asn};`,
      `  ${family} {`,
      `    import where ${importFunctionName(member.network, family)}(${member.asn}, ${irrArgs});`,
      `    export where ${policyNames.exportFunction}(${member.asn});`,
      `    receive limit ${maxPrefixLimit(member, family, policy)} action restart;`,
      "  };",
      "}",
    );
  }
  return { fileName: memberFileName(member), protocols, text: lines(text) };
}
