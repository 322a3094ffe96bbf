import { anyAsnSchema } from "@ztix/core";
import { z } from "zod";
import { cleanText, normaliseIrrAsSets } from "./text.ts";

/**
 * Raw strings are bounded before anything else is done with them: PeeringDB's columns hold
 * at most 255 characters, so anything near this limit means the answer is not what we think.
 */
const MAX_RAW_STRING = 1024;
const rawText = z.string().max(MAX_RAW_STRING);
/** Prefix counts: IPv4's whole table is ~1 M routes; far above that is nonsense, not data. */
const MAX_PREFIX_COUNT = 100_000_000;
const prefixCount = z.number().int().min(0).max(MAX_PREFIX_COUNT).nullish();

/**
 * The fields of a PeeringDB `net` object we use. Unknown fields are ignored (PeeringDB adds
 * fields over time); the fields we use are type-checked, and optional ones may be absent or
 * null, because older records and other API versions leave them out.
 */
export const rawNetSchema = z.object({
  asn: anyAsnSchema,
  name: rawText,
  aka: rawText.nullish(),
  org_id: z.number().int().positive().nullish(),
  info_prefixes4: prefixCount,
  info_prefixes6: prefixCount,
  irr_as_set: rawText.nullish(),
  info_never_via_route_servers: z.boolean().nullish(),
  policy_general: rawText.nullish(),
  policy_url: rawText.nullish(),
  /** "ok" on live records; PeeringDB hides deleted ones, but a filtered view may not. */
  status: rawText.nullish(),
  updated: z.iso.datetime({ offset: true }),
});
export type RawNet = z.infer<typeof rawNetSchema>;

export const rawNetListSchema = z.object({ data: z.array(z.unknown()).max(100) });

export const rawOrgSchema = z.object({ id: z.number().int().positive(), name: rawText });
export const rawOrgListSchema = z.object({ data: z.array(rawOrgSchema).max(1) });

/** A network as ZT-IX keeps it: cleaned, bounded, normalised. Also the schema for reading it back. */
export const peeringDbNetworkSchema = z.object({
  asn: anyAsnSchema,
  name: z.string().min(1).max(255),
  aka: z.string().min(1).max(255).optional(),
  orgId: z.number().int().positive().optional(),
  orgName: z.string().min(1).max(255).optional(),
  /** Announced IPv4 prefix count as the network states it; null when it states none (or 0). */
  prefixes4: z.number().int().positive().nullable(),
  prefixes6: z.number().int().positive().nullable(),
  /** The `irr_as_set` field, cleaned (for display); route servers use `irrAsSets`. */
  irrAsSet: z.string().min(1).max(255).nullable(),
  /** Valid IRR names from `irr_as_set`, as `NAME` or `SOURCE::NAME` (see normaliseIrrAsSets). */
  irrAsSets: z.array(z.string().min(1).max(200)).max(16),
  neverViaRouteServers: z.boolean(),
  /** `policy_general` ("Open", "Selective", "Restrictive", "No"), null when not stated. */
  policy: z.string().min(1).max(32).nullable(),
  policyUrl: z
    .url({ protocol: /^https?$/ })
    .max(255)
    .optional(),
  /** When PeeringDB last changed the record (ISO 8601, UTC). */
  updated: z.iso.datetime(),
  /** When we read it (ISO 8601, UTC). */
  fetchedAt: z.iso.datetime(),
});
export type PeeringDbNetwork = z.infer<typeof peeringDbNetworkSchema>;

/** A stated count, or null: 0 in PeeringDB means "not filled in", not "announces nothing". */
function count(value: number | null | undefined): number | null {
  return value ? value : null;
}

function optionalText(value: string | null | undefined, max = 255): string | undefined {
  const clean = value ? cleanText(value, max) : "";
  return clean || undefined;
}

/** A link we would show: only absolute http(s) URLs, never `javascript:` or relative junk. */
function safeUrl(value: string | null | undefined): string | undefined {
  const text = optionalText(value);
  if (!text || text.length > 255) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Turns a validated raw `net` object into our record. */
export function toNetwork(raw: RawNet, fetchedAt: Date, orgName?: string): PeeringDbNetwork {
  const irrAsSet = optionalText(raw.irr_as_set) ?? null;
  const network: PeeringDbNetwork = {
    asn: raw.asn,
    // A name made only of control characters cleans to nothing; the ASN still names the network.
    name: optionalText(raw.name) ?? `AS${raw.asn}`,
    prefixes4: count(raw.info_prefixes4),
    prefixes6: count(raw.info_prefixes6),
    irrAsSet,
    irrAsSets: normaliseIrrAsSets(raw.irr_as_set),
    neverViaRouteServers: raw.info_never_via_route_servers === true,
    policy: optionalText(raw.policy_general, 32) ?? null,
    updated: new Date(raw.updated).toISOString(),
    fetchedAt: fetchedAt.toISOString(),
  };
  const aka = optionalText(raw.aka);
  if (aka) network.aka = aka;
  if (raw.org_id) network.orgId = raw.org_id;
  const org = optionalText(orgName);
  if (org) network.orgName = org;
  const policyUrl = safeUrl(raw.policy_url);
  if (policyUrl) network.policyUrl = policyUrl;
  return network;
}
