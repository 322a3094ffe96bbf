import { IrrError } from "./errors.ts";

/**
 * What bgpq4 is asked to expand, in canonical (upper-case) form. RPSL names are
 * case-insensitive, so `as-foo` and `AS-FOO` are one object and one cache key.
 */
export type IrrTarget =
  | { kind: "asn"; name: string; asn: number }
  | {
      kind: "as-set";
      /** As passed to bgpq4, with the source prefix if any: `RIPE::AS-FOO`. */
      name: string;
      /** The set's own name: `AS-FOO`, `AS64500:AS-CUSTOMERS`. */
      setName: string;
      /** From `SOURCE::` (bgpq4 then fetches the top-level set from that source only). */
      source?: string;
    };

const MAX_NAME_LENGTH = 255;
const MAX_ASN = 4_294_967_295;
/** `AS` and a decimal number, no leading zero; asdot (`AS1.5`) is refused by bgpq4 itself. */
const ASN_RE = /^AS(0|[1-9][0-9]{0,9})$/;
/**
 * RFC 2622 §2 and §5: an as-set name is `AS-` then letters, digits, `_` and `-`, ending in a
 * letter or digit. Names may be hierarchical (`AS64500:AS-CUSTOMERS:AS-EU`): ASNs and set names
 * joined by colons, at least one of them a set name.
 */
const SET_COMPONENT_RE = /^AS-[A-Z0-9_-]*[A-Z0-9]$/;
/** IRR source names as IRRd lists them: RIPE, RADB, ARIN, RIPE-NONAUTH, ALTDB. */
const SOURCE_RE = /^[A-Z][A-Z0-9_-]{0,63}$/;
const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function invalid(name: string, reason: string): IrrError {
  return new IrrError("irr_invalid_name", `not an ASN or as-set name bgpq4 can expand: ${reason}`, false, {
    name,
    reason,
  });
}

function parseAsn(text: string): number | null {
  const m = ASN_RE.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return n <= MAX_ASN ? n : null;
}

/**
 * Private, documentation and reserved ASNs: the ranges bgpq4 1.9 drops without `-p`
 * (measured: 64496–65551 and 4200000000–4294967295; 0 and 23456 it keeps).
 */
export function isPrivateAsn(asn: number): boolean {
  return (asn >= 64_496 && asn <= 65_551) || asn >= 4_200_000_000;
}

/**
 * Parses and validates what a member registered as its IRR object: `AS64500`, `AS-EXAMPLE`,
 * `AS64500:AS-CUSTOMERS`, or a source-prefixed `RIPE::AS-FOO`. Anything else is refused here,
 * before bgpq4 runs: bgpq4 passes the name to the IRR server verbatim (`AS-FOO;x` or a name
 * with spaces would reach the server as another query), and reads a bare word as a prefix.
 * Throws IrrError `irr_invalid_name`.
 */
export function parseIrrTarget(input: string): IrrTarget {
  if (typeof input !== "string") throw invalid(String(input), "not a string");
  const raw = input.trim();
  if (raw.length === 0) throw invalid(input, "empty");
  if (raw.length > MAX_NAME_LENGTH) throw invalid(input, `longer than ${MAX_NAME_LENGTH} characters`);
  const upper = raw.toUpperCase();

  const sep = upper.indexOf("::");
  if (sep >= 0) {
    const source = upper.slice(0, sep);
    const setName = upper.slice(sep + 2);
    if (!SOURCE_RE.test(source)) throw invalid(input, `bad source "${source}"`);
    // bgpq4 takes `SOURCE::` only in front of a set: `RIPE::AS64500` is an error there.
    if (parseAsn(setName) !== null) throw invalid(input, "a source prefix applies to as-sets only");
    checkSetName(input, setName);
    return { kind: "as-set", name: `${source}::${setName}`, setName, source };
  }

  if (upper.startsWith("AS") && !upper.includes(":") && !upper.startsWith("AS-")) {
    const asn = parseAsn(upper);
    if (asn === null) throw invalid(input, "not an ASN (AS followed by 1 to 4294967295, no asdot)");
    if (asn === 0 || asn === 23_456) throw invalid(input, `AS${asn} is never a valid origin`);
    return { kind: "asn", name: `AS${asn}`, asn };
  }
  checkSetName(input, upper);
  return { kind: "as-set", name: upper, setName: upper };
}

function checkSetName(input: string, setName: string): void {
  const parts = setName.split(":");
  let sets = 0;
  for (const part of parts) {
    if (SET_COMPONENT_RE.test(part)) sets++;
    else if (parseAsn(part) === null) throw invalid(input, `"${part}" is neither an ASN nor an AS- set name`);
  }
  if (sets === 0) throw invalid(input, "a hierarchical name needs at least one AS- component");
}

/** Validates IRR source names for `-S`: canonical upper case, order kept, duplicates dropped. */
export function normalizeSources(sources: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    const upper = s.trim().toUpperCase();
    if (!SOURCE_RE.test(upper)) {
      throw new IrrError("irr_invalid_options", `not an IRR source name: ${JSON.stringify(s)}`, false, {
        source: s,
      });
    }
    if (!out.includes(upper)) out.push(upper);
  }
  return out;
}

/**
 * bgpq4 splits `-h host:port` at the last colon and cannot take an IPv6 literal (measured:
 * `[::1]:43` and `::1:43` both fail to resolve), so the host is a name or an IPv4 address.
 */
export function isValidIrrHost(host: string): boolean {
  return HOSTNAME_RE.test(host);
}
