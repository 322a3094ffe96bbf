import { isIP } from "node:net";
import { z } from "zod";
import { networkSuffixSchema } from "../ids.ts";
import { ipv4InCidr, ipv4ToInt, ipv6InCidr, parseIpv4Cidr, parseIpv6Cidr } from "../ip.ts";

const ipv4CidrSchema = z.string().refine((v) => {
  try {
    parseIpv4Cidr(v);
    return true;
  } catch {
    return false;
  }
}, "must be an IPv4 prefix like 10.147.17.0/24");

const ipv6CidrSchema = z.string().refine((v) => {
  try {
    parseIpv6Cidr(v);
    return true;
  } catch {
    return false;
  }
}, "must be an IPv6 prefix like fd00:147:17::/64");

const ipv4Addr = z.string().refine((v) => isIP(v) === 4, "must be an IPv4 address");
const ipv6Addr = z.string().refine((v) => isIP(v) === 6, "must be an IPv6 address");

export const ipv4PlanSchema = z
  .strictObject({
    /** The peering LAN. */
    prefix: ipv4CidrSchema,
    /** First and last address members may be given (inclusive). */
    pool_start: ipv4Addr,
    pool_end: ipv4Addr,
    /** Addresses inside the pool never given to members (route servers, monitoring). */
    reserved: z.array(ipv4Addr).default([]),
  })
  .superRefine((plan, ctx) => {
    for (const key of ["pool_start", "pool_end"] as const) {
      if (!ipv4InCidr(plan[key], plan.prefix)) {
        ctx.addIssue({ code: "custom", path: [key], message: `${plan[key]} is outside ${plan.prefix}` });
      }
    }
    if (ipv4ToInt(plan.pool_start) > ipv4ToInt(plan.pool_end)) {
      ctx.addIssue({ code: "custom", path: ["pool_end"], message: "pool_end is before pool_start" });
    }
  });

export const ipv6PlanSchema = z.strictObject({
  prefix: ipv6CidrSchema,
  /**
   * `asn_embedded`: the member's ASN written in decimal digits as the last hextets
   * (AS64500 in 2001:db8::/64 → 2001:db8::6:4500:1), as many exchanges do.
   * `sequential`: the same host index as the member's IPv4 address.
   */
  scheme: z.enum(["asn_embedded", "sequential"]).default("asn_embedded"),
});

export const networkConfigSchema = z
  .strictObject({
    suffix: networkSuffixSchema,
    name: z.string().min(1).max(64),
    description: z.string().max(500).default(""),
    mtu: z.number().int().min(1280).max(10000).default(2800),
    ipv4: ipv4PlanSchema,
    ipv6: ipv6PlanSchema.optional(),
    /**
     * RFC 7999 blackholing on this LAN, per family: the next hop the route servers give a
     * member's BLACKHOLE (65535:666) route, an address on the LAN where traffic is dropped
     * (nothing needs to answer there: members' routers only need it on a connected subnet).
     * Absent (the default): no blackholing for that family, and BLACKHOLE-tagged routes are
     * ordinary routes. Inside the LAN's prefix, and never an address members can be given.
     */
    blackhole_ipv4: ipv4Addr.optional(),
    blackhole_ipv6: ipv6Addr.optional(),
  })
  .superRefine((n, ctx) => {
    // Refinements run even when a field failed its own check: look only at well-formed values.
    const v4 = n.blackhole_ipv4;
    if (v4 !== undefined && isIP(v4) === 4 && isIP(n.ipv4.pool_start) === 4 && isIP(n.ipv4.pool_end) === 4) {
      if (!ipv4InCidr(v4, n.ipv4.prefix)) {
        ctx.addIssue({
          code: "custom",
          path: ["blackhole_ipv4"],
          message: `${v4} is outside ${n.ipv4.prefix}`,
        });
      } else {
        // A member given this address would receive every blackholed prefix's traffic.
        const inPool =
          ipv4ToInt(v4) >= ipv4ToInt(n.ipv4.pool_start) && ipv4ToInt(v4) <= ipv4ToInt(n.ipv4.pool_end);
        if (inPool && !n.ipv4.reserved.includes(v4)) {
          ctx.addIssue({
            code: "custom",
            path: ["blackhole_ipv4"],
            message: `${v4} lies in the member pool; move it out or list it in ipv4.reserved`,
          });
        }
      }
    }
    const v6 = n.blackhole_ipv6;
    if (v6 !== undefined && isIP(v6) === 6) {
      if (!n.ipv6) {
        ctx.addIssue({ code: "custom", path: ["blackhole_ipv6"], message: "the network has no IPv6 plan" });
      } else if (!ipv6InCidr(v6, n.ipv6.prefix)) {
        ctx.addIssue({
          code: "custom",
          path: ["blackhole_ipv6"],
          message: `${v6} is outside ${n.ipv6.prefix}`,
        });
      }
    }
  });
export type NetworkConfig = z.infer<typeof networkConfigSchema>;
