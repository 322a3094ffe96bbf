import { IrrError } from "./errors.ts";
import { type Family, type ParsedPrefix, parsePrefix, sortUnique } from "./prefixes.ts";

/** The policy's longest accepted prefix per family (route-server policy defaults: /24 and /48). */
export const DEFAULT_MAX_LENGTH: Readonly<Record<Family, number>> = { ipv4: 24, ipv6: 48 };

export interface BirdPrefixSetOptions {
  /** Longest more-specific accepted under each registered route; default 24 (IPv4) or 48 (IPv6). */
  maxLength?: number;
}

/**
 * Renders one family's IRR prefixes as a BIRD 2 prefix-set literal, e.g.
 * `[ 192.0.2.0/24{24,24}, 198.51.100.0/22{22,24} ]`: each registered route is accepted exactly
 * and with more-specifics down to `maxLength` (a route longer than that keeps only itself; the
 * policy's prefix-length check rejects it anyway). Ranges are written out in full rather than
 * as `+`/`-` shorthands so each entry reads the same. An empty list gives `[ ]`, which BIRD
 * accepts and which matches nothing.
 *
 * Pure. Input is canonicalised, de-duplicated and sorted, so equal data renders byte-equal.
 * Throws IrrError `irr_invalid_prefix` for a malformed prefix, one with host bits set, or a mix of
 * IPv4 and IPv6 (BIRD refuses mixed sets).
 */
export function birdPrefixSet(prefixes: readonly string[], options: BirdPrefixSetOptions = {}): string {
  const parsed: ParsedPrefix[] = [];
  let family: Family | undefined;
  for (const text of prefixes) {
    const p = parsePrefix(text);
    if (!p)
      throw new IrrError("irr_invalid_prefix", `not a network prefix: ${text}`, false, { prefix: text });
    if (family && p.family !== family) {
      throw new IrrError("irr_invalid_prefix", "a BIRD prefix set holds one address family only", false, {
        prefix: text,
      });
    }
    family = p.family;
    parsed.push(p);
  }
  if (!family) return "[ ]";
  const bits = family === "ipv4" ? 32 : 128;
  const max = options.maxLength ?? DEFAULT_MAX_LENGTH[family];
  if (!Number.isInteger(max) || max < 0 || max > bits) {
    throw new IrrError("irr_invalid_options", `maxLength must be an integer from 0 to ${bits}`, false, {
      maxLength: max,
    });
  }
  const entries = sortUnique(parsed).map((p) => `${p.text}{${p.length},${Math.max(p.length, max)}}`);
  return `[ ${entries.join(", ")} ]`;
}
