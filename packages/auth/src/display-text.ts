/**
 * Characters that change how text around them is shown rather than being shown themselves:
 * C0/C1 controls (NUL, ESC starting a terminal escape, DEL, ...), the bidirectional
 * embeddings, overrides, isolates and marks (U+202E can make "moc.elpmaxe" read as
 * "example.com"), zero-width space and the byte-order mark. ZWJ/ZWNJ stay: scripts and
 * emoji need them.
 */
const INVISIBLE = /[\p{Cc}\u061C\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;
/** Line breaks of any kind and tabs: whitespace that should read as one space in a name. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;

/**
 * A name from an outside source made safe to store and show: breaks become spaces, invisible
 * and direction-changing characters are dropped, runs of whitespace collapse, ends are trimmed.
 *
 * @example cleanDisplayText("Evil\u202Eten.elpmaxe\u001b[2J") // "Evilten.elpmaxe[2J"
 */
export function cleanDisplayText(value: string): string {
  return value.replace(BREAKS, " ").replace(INVISIBLE, "").replace(/\s+/g, " ").trim();
}

/** True when `value` holds a character `cleanDisplayText` would drop or change. */
export function hasInvisibleCharacters(value: string): boolean {
  return new RegExp(INVISIBLE.source, "u").test(value) || new RegExp(BREAKS.source).test(value);
}
