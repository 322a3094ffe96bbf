import { isIP } from "node:net";
import { AppError, canonicalIpv6, ipv4ToInt } from "@ztix/core";
import { type Family, type MemberIdentity, memberProtocolName } from "../names.ts";
import { canonicalPrefix } from "../render/format.ts";

/**
 * The only words of a looking-glass command that come from outside: protocol names and
 * lookup targets. Both are checked here and re-rendered from what was parsed, so what
 * reaches birdc (and the remote shell) is text this module wrote itself.
 */

export class LookingGlassError extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, status?: number) {
    super(code, message, details, status);
    this.name = "LookingGlassError";
  }
}

/** Exactly the names `memberProtocolName` makes (ASNs are at most ten digits). */
export const memberProtocolPattern = /^m_as\d{1,10}_[0-9a-f]{6}_[0-9a-f]{10}_v[46]$/;

/** A member protocol name, or a `looking_glass_invalid_input` error. */
export function checkProtocolName(name: unknown): string {
  if (typeof name !== "string" || !memberProtocolPattern.test(name)) {
    throw new LookingGlassError(
      "looking_glass_invalid_input",
      "not a member protocol name of this route server",
      { protocol: typeof name === "string" ? name.slice(0, 80) : typeof name },
      400,
    );
  }
  return name;
}

/** A member's sessions on a route server, one per family it has. */
export function memberProtocols(member: MemberIdentity, families: readonly Family[] = ["ipv4", "ipv6"]) {
  return families.map((f) => memberProtocolName(member, f));
}

export type LookupTarget =
  | { kind: "prefix"; family: 4 | 6; prefix: string }
  | { kind: "address"; family: 4 | 6; address: string };

function invalid(input: string, why: string): LookingGlassError {
  return new LookingGlassError("looking_glass_invalid_input", why, { target: input.slice(0, 80) }, 400);
}

/**
 * A prefix (`198.51.100.0/24`, `2001:db8::/32`) or an address to look up, in canonical form.
 * The strict parsers of `@ztix/core` refuse leading zeros, zones, short forms and stray
 * characters. A prefix with host bits set is refused, not rounded down: the user asked
 * about something else than what we would show (BIRD refuses it the same way).
 */
export function parseLookupTarget(input: unknown): LookupTarget {
  if (typeof input !== "string") throw invalid(String(input), "a prefix or address is required");
  const text = input.trim();
  if (text.length === 0 || text.length > 64) throw invalid(text, "a prefix or address is required");
  if (text.includes("/")) {
    let canonical: string;
    try {
      canonical = canonicalPrefix(text);
    } catch {
      throw invalid(text, "not an IPv4 or IPv6 prefix");
    }
    const family = canonical.includes(":") ? 6 : 4;
    const [addr, len] = text.split("/");
    const [canonicalAddr] = canonical.split("/");
    const same = family === 6 ? canonicalIpv6(addr!) === canonicalAddr : addr === canonicalAddr;
    if (!same || len !== canonical.split("/")[1]) {
      throw invalid(text, `host bits are set; the prefix is ${canonical}`);
    }
    return { kind: "prefix", family, prefix: canonical };
  }
  try {
    if (isIP(text) === 4) {
      ipv4ToInt(text); // four plain decimal octets, as everywhere else in ZT-IX
      return { kind: "address", family: 4, address: text };
    }
    if (isIP(text) === 6) return { kind: "address", family: 6, address: canonicalIpv6(text) };
  } catch {
    // Reported below.
  }
  throw invalid(text, "not an IPv4 or IPv6 address");
}

/** `m_as64501_000001_a000000001_v4` → whose session it is; undefined for any other name. */
export function parseMemberProtocolName(name: string): (MemberIdentity & { family: Family }) | undefined {
  if (!memberProtocolPattern.test(name)) return undefined;
  const [, asn, network, nodeId, v] = /^m_as(\d+)_([0-9a-f]{6})_([0-9a-f]{10})_v([46])$/.exec(name)!;
  const n = Number(asn);
  if (n > 0xffffffff) return undefined;
  return { asn: n, network: network!, nodeId: nodeId!, family: v === "4" ? "ipv4" : "ipv6" };
}
