import { isIP } from "node:net";
import { z } from "zod";

/** Which special-purpose ASN ranges a deployment accepts (labs use documentation ASNs). */
export interface AsnPolicy {
  allowPrivate: boolean;
  allowDocumentation: boolean;
}

export const strictAsnPolicy: AsnPolicy = { allowPrivate: false, allowDocumentation: false };

const ASN_MAX = 4_294_967_295;

/** Why an ASN cannot be used on the exchange, or null when it can. */
export function asnProblem(asn: number, policy: AsnPolicy = strictAsnPolicy): string | null {
  if (!Number.isInteger(asn) || asn < 1 || asn > ASN_MAX) return "must be an integer from 1 to 4294967295";
  if (asn === 23456) return "AS_TRANS (23456) is not a real ASN";
  if (asn === 65535 || asn === ASN_MAX) return "reserved ASN (RFC 7300)";
  if ((asn >= 64496 && asn <= 64511) || (asn >= 65536 && asn <= 65551)) {
    return policy.allowDocumentation ? null : "documentation ASN (RFC 5398)";
  }
  if ((asn >= 64512 && asn <= 65534) || (asn >= 4_200_000_000 && asn <= 4_294_967_294)) {
    return policy.allowPrivate ? null : "private-use ASN (RFC 6996)";
  }
  if (asn >= 65552 && asn <= 131071) return "reserved ASN (IANA)";
  return null;
}

/** What an ASN outside the 32-bit range is told (a number, a digit string or "AS…"). */
export const ASN_RANGE_MESSAGE = `ASN must be between 1 and ${ASN_MAX}`;

/**
 * An ASN valid under the given policy. Accepts numbers, digit strings and "AS64500"; a value
 * outside 1..4294967295 (however many digits) gets the range message, not a format one.
 */
export function asnSchema(policy: AsnPolicy = strictAsnPolicy) {
  return z
    .union([z.number(), z.string().regex(/^(?:AS)?\d+$/i, "must be digits, optionally prefixed AS")])
    .transform((v) => (typeof v === "number" ? v : Number(v.replace(/^AS/i, ""))))
    .superRefine((asn, ctx) => {
      if (!Number.isInteger(asn) || asn < 1 || asn > ASN_MAX) {
        ctx.addIssue({ code: "custom", message: ASN_RANGE_MESSAGE });
        return;
      }
      const problem = asnProblem(asn, policy);
      if (problem) ctx.addIssue({ code: "custom", message: `invalid ASN ${asn}: ${problem}` });
    });
}

/** Any ASN within the 32-bit range, for data read back from storage. */
export const anyAsnSchema = z.number().int().min(1).max(ASN_MAX);

/** A ZeroTier node (member) id: 10 lower-case hex digits; address 0 and `ff…` are reserved. */
export const nodeIdSchema = z
  .string()
  .regex(/^[0-9a-f]{10}$/, "must be 10 lower-case hex digits")
  .refine((v) => v !== "0000000000", "0000000000 is reserved in ZeroTier and is never a node's id")
  .refine((v) => !v.startsWith("ff"), "node ids starting with ff are reserved");

/**
 * A node id as people paste it, reduced to the 10 lower-case hex digits it names: any letter
 * case, surrounding blanks, or the whole line `zerotier-cli info` prints
 * (`200 info a1b2c3d4e5 1.14.1 ONLINE`). Anything else is left as typed, for the checks.
 */
export function normaliseNodeIdInput(raw: string): string {
  const text = raw.trim();
  const info = /^200 info ([0-9a-fA-F]{10})\b/.exec(text);
  return (info ? info[1]! : text).toLowerCase();
}

/**
 * A node id at an input boundary (API bodies, forms): normalised first (see
 * `normaliseNodeIdInput`), then checked with a message that says what is wrong: not hex,
 * the wrong length (an 11-digit id is told its length, never its case), or reserved.
 */
export const nodeIdInputSchema = z.preprocess(
  (raw) => (typeof raw === "string" ? normaliseNodeIdInput(raw) : raw),
  z
    .string()
    .superRefine((v, ctx) => {
      if (!/^[0-9a-f]*$/.test(v)) ctx.addIssue({ code: "custom", message: "only hex digits (0-9, a-f)" });
      else if (v.length !== 10)
        ctx.addIssue({ code: "custom", message: `must be 10 hex digits, not ${v.length}` });
    })
    .pipe(nodeIdSchema),
);

/** A ZeroTier network id: 16 lower-case hex digits (controller address + 6-hex suffix). */
export const networkIdSchema = z.string().regex(/^[0-9a-f]{16}$/, "must be 16 lower-case hex digits");

/** The 6-hex suffix that names a network on a controller. */
export const networkSuffixSchema = z.string().regex(/^[0-9a-f]{6}$/, "must be 6 lower-case hex digits");

export const ipv4Schema = z.string().refine((v) => isIP(v) === 4, "must be an IPv4 address");
export const ipv6Schema = z.string().refine((v) => isIP(v) === 6, "must be an IPv6 address");

/** Splits a network id into the controller address and the suffix. */
export function splitNetworkId(networkId: string): { controller: string; suffix: string } {
  return { controller: networkId.slice(0, 10), suffix: networkId.slice(10) };
}

export type Asn = number;
export type NodeId = string;
export type NetworkId = string;
