import {
  type AsnPolicy,
  asnSchema,
  networkIdSchema,
  nodeIdInputSchema,
  type RuntimeConfig,
  requestStatuses,
} from "@ztix/core";
import { z } from "zod";

/** The config's ASN policy in the shape `asnSchema` takes. */
export function asnPolicyOf(config: RuntimeConfig): AsnPolicy {
  return {
    allowPrivate: config.asn_policy.allow_private,
    allowDocumentation: config.asn_policy.allow_documentation,
  };
}

/** True when `s` holds a control character other than tab, line feed or carriage return. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

// Free text is stored and shown to admins: bounded, and no control characters but line breaks
// and tabs (nothing that could spoof a log line or a terminal).
const freeText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    .refine((s) => !hasControlCharacter(s), "no control characters");

/** The node id as people paste it (any case, or a `zerotier-cli info` line): see @ztix/core. */
export { nodeIdInputSchema };

/** POST /requests: unknown fields are refused (strict). */
export function newRequestBodySchema(config: RuntimeConfig) {
  return z.strictObject({
    asn: asnSchema(asnPolicyOf(config)),
    zt_network_id: networkIdSchema,
    node_id: nodeIdInputSchema,
    notes: freeText(1000).optional(),
  });
}

/** POST /requests/{id}/replace-node. */
export const replaceNodeBodySchema = z.strictObject({ node_id: nodeIdInputSchema });

/** POST /admin/requests/{id}/remove: the operator reads the reason. */
export const removeBodySchema = z.strictObject({
  reason: freeText(1000).pipe(z.string().min(1, "a reason is required")),
});

/** POST /admin/requests/{id}/reject. */
export const rejectBodySchema = z.strictObject({
  reason: freeText(1000).pipe(z.string().min(1, "a reason is required")),
});

/** Approve, retry and cancel take no fields; a body, if sent, must be `{}`. */
export const emptyBodySchema = z.strictObject({});

const limitSchema = (fallback: number) => z.coerce.number().int().min(1).max(100).default(fallback);
const cursorSchema = z.string().min(1).max(512).optional();

/** GET /requests. */
export const operatorListQuerySchema = z.strictObject({
  limit: limitSchema(25),
  cursor: cursorSchema,
});

/** `status=pending` or `status=approved,provisioning`. */
const statusListSchema = z
  .string()
  .transform((v) => v.split(",").map((s) => s.trim()))
  .pipe(z.array(z.enum(requestStatuses)).min(1).max(requestStatuses.length));

/** GET /admin/requests: filters, oldest first unless `order=desc`. */
export const adminListQuerySchema = z.strictObject({
  status: statusListSchema.optional(),
  asn: asnSchema({ allowPrivate: true, allowDocumentation: true }).optional(),
  zt_network_id: networkIdSchema.optional(),
  min_age_minutes: z.coerce
    .number()
    .int()
    .min(0)
    .max(366 * 24 * 60)
    .optional(),
  order: z.enum(["asc", "desc"]).default("asc"),
  limit: limitSchema(50),
  cursor: cursorSchema,
});

/** Request ids are UUIDs; anything else names no request (404, not 400). */
export const requestIdSchema = z.uuid();
