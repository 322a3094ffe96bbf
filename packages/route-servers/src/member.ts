import {
  AppError,
  anyAsnSchema,
  describeIssues,
  ipv4Schema,
  ipv6Schema,
  networkSuffixSchema,
  nodeIdSchema,
} from "@ztix/core";
import { z } from "zod";

/** A member as a route server carries it: everything that reaches a BIRD file is validated here. */
export interface RouteServerMember {
  asn: number;
  /** The IX network's 6-hex suffix. */
  network: string;
  nodeId: string;
  ipv4?: string;
  ipv6?: string;
  maxPrefix?: { ipv4?: number; ipv6?: number };
  /** The join request behind it, when there is one (not rendered: it only travels with results). */
  requestId?: string;
}

const maxPrefixValue = z.number().int().min(1).max(10_000_000).optional();

export const routeServerMemberSchema = z
  .strictObject({
    asn: anyAsnSchema,
    network: networkSuffixSchema,
    nodeId: nodeIdSchema,
    ipv4: ipv4Schema.optional(),
    ipv6: ipv6Schema.optional(),
    maxPrefix: z.strictObject({ ipv4: maxPrefixValue, ipv6: maxPrefixValue }).optional(),
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
