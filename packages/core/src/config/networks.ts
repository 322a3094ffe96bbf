import { isIP } from "node:net";
import { z } from "zod";
import { networkSuffixSchema } from "../ids.ts";
import { ipv4InCidr, ipv4ToInt, parseIpv4Cidr, parseIpv6Cidr } from "../ip.ts";

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

export const networkConfigSchema = z.strictObject({
  suffix: networkSuffixSchema,
  name: z.string().min(1).max(64),
  description: z.string().max(500).default(""),
  mtu: z.number().int().min(1280).max(10000).default(2800),
  ipv4: ipv4PlanSchema,
  ipv6: ipv6PlanSchema.optional(),
});
export type NetworkConfig = z.infer<typeof networkConfigSchema>;
