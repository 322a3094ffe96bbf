import {
  AppError,
  anyAsnSchema,
  describeIssues,
  ipv4Schema,
  ipv6Schema,
  networkSuffixSchema,
  nodeIdSchema,
} from "@ztix/core";
import { parseIrrTarget } from "@ztix/irr";
import { z } from "zod";
import { isCanonicalPrefix } from "./render/prefixes.ts";

/** A member as a route server carries it: everything that reaches a BIRD file is validated here. */
export interface RouteServerMember {
  asn: number;
  /** The IX network's 6-hex suffix. */
  network: string;
  nodeId: string;
  ipv4?: string;
  ipv6?: string;
  /** The member's own prefix counts (e.g. PeeringDB): the receive limit adds headroom and a floor. */
  maxPrefix?: { ipv4?: number; ipv6?: number };
  /**
   * The receive limit as the caller resolved it (an admin's override, or a figure that already
   * has its headroom and floor): rendered as is, and wins over `maxPrefix` for its family.
   */
  receiveLimit?: { ipv4?: number; ipv6?: number };
  /**
   * The member's IRR data, as the IRR job last expanded it: route (ipv4) and route6 (ipv6)
   * prefixes of its as-set, canonical. A family left out has no list (the member's routes in
   * that family are then "not registered"). When a refresh fails the caller keeps the last
   * good lists and sets `stale`; rendering uses what it is given and never empties a list.
   */
  irr?: MemberIrr;
  /** The join request behind it, when there is one (not rendered: it only travels with results). */
  requestId?: string;
}

export interface MemberIrr {
  /** What was expanded (`AS-EXAMPLE`, `RIPE::AS-FOO`, `AS64500`), canonical; a comment in the file. */
  asSet?: string;
  ipv4?: string[];
  ipv6?: string[];
  /** The lists are the last good ones: the latest refresh failed. */
  stale?: boolean;
}

/** Per family: far above the largest as-sets seen at exchanges, low enough to bound a file. */
export const MAX_IRR_PREFIXES = 200_000;

const irrPrefixList = (family: "ipv4" | "ipv6") =>
  z
    .array(
      z
        .string()
        .max(64)
        .refine(
          (p) => isCanonicalPrefix(p, family),
          family === "ipv4"
            ? "must be a canonical IPv4 prefix (host bits clear), e.g. 192.0.2.0/24"
            : "must be a canonical IPv6 prefix (lower case, RFC 5952, host bits clear), e.g. 2001:db8::/32",
        ),
    )
    .max(MAX_IRR_PREFIXES)
    .optional();

const irrObjectName = z
  .string()
  .max(255)
  .refine((v) => {
    try {
      return parseIrrTarget(v).name === v;
    } catch {
      return false;
    }
  }, "must be an ASN or as-set name in canonical form, e.g. AS64500, AS-EXAMPLE or RIPE::AS-EXAMPLE");

const maxPrefixValue = z.number().int().min(1).max(10_000_000).optional();

export const routeServerMemberSchema = z
  .strictObject({
    asn: anyAsnSchema,
    network: networkSuffixSchema,
    nodeId: nodeIdSchema,
    ipv4: ipv4Schema.optional(),
    ipv6: ipv6Schema.optional(),
    maxPrefix: z.strictObject({ ipv4: maxPrefixValue, ipv6: maxPrefixValue }).optional(),
    receiveLimit: z.strictObject({ ipv4: maxPrefixValue, ipv6: maxPrefixValue }).optional(),
    irr: z
      .strictObject({
        asSet: irrObjectName.optional(),
        ipv4: irrPrefixList("ipv4"),
        ipv6: irrPrefixList("ipv6"),
        stale: z.boolean().optional(),
      })
      .optional(),
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-'")
      .optional(),
  })
  .refine(
    (m) => m.ipv4 !== undefined || m.ipv6 !== undefined,
    "a member needs an IPv4 or IPv6 peering address",
  );

/** Validates a member, throwing `validation_failed` naming every bad field. */
export function parseMember(input: unknown): RouteServerMember {
  const result = routeServerMemberSchema.safeParse(input);
  if (!result.success) {
    const problems = describeIssues(result.error.issues);
    throw new AppError("validation_failed", `invalid route-server member: ${problems.join("; ")}`, {
      problems,
    });
  }
  return result.data;
}
