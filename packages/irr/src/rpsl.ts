/**
 * Just enough RPSL (RFC 2622) for the whois stand-in's fixtures: as-set, aut-num, route and
 * route6 objects, written as they appear in an IRR database dump.
 */

export interface RpslObject {
  /** The object class: the first attribute's name (`as-set`, `route6`, …), lower case. */
  objectClass: string;
  /** The first attribute's value: the set name, the ASN, the prefix. */
  key: string;
  /** Upper case; objects without a `source:` attribute get the dataset's default. */
  source: string;
  /** Every attribute in order, names lower case, continuation lines joined with a space. */
  attributes: Array<[name: string, value: string]>;
}

/**
 * Splits RPSL text into objects: blank lines separate objects, `name: value` starts an
 * attribute, lines starting with whitespace or `+` continue it, `#` starts a comment and `%`
 * lines are server remarks.
 */
export function parseRpsl(text: string, defaultSource = "TEST"): RpslObject[] {
  const objects: RpslObject[] = [];
  let attrs: Array<[string, string]> = [];
  const flush = () => {
    if (attrs.length === 0) return;
    const [objectClass, key] = attrs[0]!;
    const source = attrs.find(([n]) => n === "source")?.[1].toUpperCase() ?? defaultSource.toUpperCase();
    objects.push({ objectClass, key, source, attributes: attrs });
    attrs = [];
  };
  for (const rawLine of text.split(/\r?\n/)) {
    if (rawLine.startsWith("%")) continue;
    const line = rawLine.replace(/#.*$/, "");
    if (line.trim() === "") {
      if (rawLine.trim() === "") flush();
      continue;
    }
    if (/^[\s+]/.test(line)) {
      const last = attrs[attrs.length - 1];
      if (!last) throw new Error(`RPSL continuation line before any attribute: ${rawLine}`);
      const more = line.replace(/^\+?\s*/, "").trim();
      if (more) last[1] = last[1] ? `${last[1]} ${more}` : more;
      continue;
    }
    const m = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not an RPSL attribute line: ${rawLine}`);
    attrs.push([m[1]!.toLowerCase(), m[2]!.trim()]);
  }
  flush();
  return objects;
}

/** The values of every `name:` attribute, split on commas and whitespace (as `members:` lists are). */
export function listValues(obj: RpslObject, name: string): string[] {
  return obj.attributes
    .filter(([n]) => n === name)
    .flatMap(([, v]) => v.split(/[\s,]+/))
    .filter((v) => v.length > 0);
}
