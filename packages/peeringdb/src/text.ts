/**
 * Text from PeeringDB is typed by network operators and shown to admins, written into logs and
 * rendered into BIRD config comments: treat it as hostile. These helpers make it inert.
 */

/**
 * Characters that are not shown but change what is around them: C0/C1 controls (ESC starts a
 * terminal escape, NUL truncates C strings), the bidi embeddings, overrides, isolates and
 * marks (U+202E makes "moc.elpmaxe" read as "example.com"), zero-width space, word joiner and
 * the byte-order mark. ZWJ/ZWNJ stay: some scripts and emoji need them.
 */
const INVISIBLE = /[\p{Cc}\u061C\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/gu;
/** Every kind of line break and tab: in a one-line name they should read as a space. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;

/** Longest display text we keep (PeeringDB's own columns hold 255). */
export const MAX_DISPLAY_LENGTH = 255;

/**
 * One line of display text: breaks become spaces, invisible and direction-changing characters
 * go, whitespace runs collapse, ends are trimmed, and the result is cut to `max` code points
 * (never inside a surrogate pair, so the cut cannot leave a broken character).
 */
export function cleanText(value: string, max = MAX_DISPLAY_LENGTH): string {
  const clean = value.replace(BREAKS, " ").replace(INVISIBLE, "").replace(/\s+/g, " ").trim();
  const points = Array.from(clean);
  return points.length <= max ? clean : points.slice(0, max).join("").trimEnd();
}

/** Registry source names as IRRd knows them (RIPE, RADB, NTTCOM, RIPE-NONAUTH, ...). */
const SOURCE = /^[A-Z][A-Z0-9-]{0,31}$/;
/** RFC 2622 set names: "AS-" then letters, digits, "-" and "_". */
const SET_COMPONENT = /^AS-[A-Z0-9_-]{1,80}$/;
const ASN_COMPONENT = /^AS(\d{1,10})$/;
const MAX_SET_NAME = 128;
/** More than this many sets in one field is not a real configuration; ignore the rest. */
export const MAX_AS_SETS = 16;

function isAsn(digits: string): boolean {
  if (digits.length > 1 && digits.startsWith("0")) return false;
  const n = Number(digits);
  return n >= 1 && n <= 4_294_967_294;
}

/**
 * An IRR object name that bgpq4 and IRRd accept as "the customer cone" of a network: an as-set
 * (`AS-FOO`), a hierarchical as-set (`AS64500:AS-CUSTOMERS`, RFC 2622: ASN and set components,
 * the last one a set), or an aut-num (`AS64500`), which many PeeringDB records give when the
 * network has no set of its own. Upper case: IRR names are case-insensitive.
 */
function normaliseName(name: string): string | null {
  const upper = name.toUpperCase();
  if (upper.length > MAX_SET_NAME) return null;
  const asn = ASN_COMPONENT.exec(upper);
  if (asn) return isAsn(asn[1]!) ? upper : null;
  const parts = upper.split(":");
  if (!SET_COMPONENT.test(parts[parts.length - 1]!)) return null;
  for (const part of parts) {
    const a = ASN_COMPONENT.exec(part);
    if (a ? !isAsn(a[1]!) : !SET_COMPONENT.test(part)) return null;
  }
  return upper;
}

/**
 * Splits PeeringDB's free-form `irr_as_set` into the IRR names in it, normalised to
 * `NAME` or `SOURCE::NAME`. PeeringDB asks for space-separated sets with an optional
 * `SOURCE::` prefix, but real records also use commas or semicolons and bgpq-style
 * `NAME@SOURCE`; both spellings come out as `SOURCE::NAME`, because the source decides which
 * registry a route server's IRR query goes to. Tokens that are not a valid name are dropped
 * (a route server must never build a filter from junk), as are names hiding invisible or
 * direction-changing characters; duplicates are dropped, order kept.
 *
 * @example normaliseIrrAsSets("AS-FOO@RIPE, radb::as-bar AS-FOO@RIPE n/a") // ["RIPE::AS-FOO", "RADB::AS-BAR"]
 */
export function normaliseIrrAsSets(raw: string | null | undefined): string[] {
  if (!raw) return [];
  const out: string[] = [];
  // Split the raw text, not a cleaned copy: a name with an invisible character in it is not the
  // name in the IRR, and cleaning would silently turn "AS-FO\u202EO" into a different, real set.
  for (const token of raw.slice(0, 4096).split(/[\s,;]+/)) {
    if (out.length >= MAX_AS_SETS) break;
    if (!token) continue;
    let source: string | null = null;
    let name = token;
    const colons = token.indexOf("::");
    const at = token.lastIndexOf("@");
    if (colons >= 0) {
      source = token.slice(0, colons);
      name = token.slice(colons + 2);
    } else if (at >= 0) {
      source = token.slice(at + 1);
      name = token.slice(0, at);
    }
    if (source !== null) {
      source = source.toUpperCase();
      if (!SOURCE.test(source)) continue;
    }
    const normal = normaliseName(name);
    if (!normal) continue;
    const value = source ? `${source}::${normal}` : normal;
    if (!out.includes(value)) out.push(value);
  }
  return out;
}
