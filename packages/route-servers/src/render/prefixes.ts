import type { Family } from "../names.ts";

const LENGTH = /^(0|[1-9][0-9]{0,2})$/;
const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const GROUP = /^[0-9a-f]{1,4}$/;

function ipv4Canonical(text: string): boolean {
  const slash = text.indexOf("/");
  if (slash < 0) return false;
  const lengthText = text.slice(slash + 1);
  if (!LENGTH.test(lengthText)) return false;
  const length = Number(lengthText);
  if (length > 32) return false;
  const octets = text.slice(0, slash).split(".");
  if (octets.length !== 4) return false;
  let n = 0;
  for (const o of octets) {
    if (!OCTET.test(o)) return false;
    const v = Number(o);
    if (v > 255) return false;
    n = n * 256 + v;
  }
  return n % 2 ** (32 - length) === 0;
}

/** Eight groups in RFC 5952 text. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function ipv6Canonical(text: string): boolean {
  const slash = text.indexOf("/");
  if (slash < 0) return false;
  const lengthText = text.slice(slash + 1);
  if (!LENGTH.test(lengthText)) return false;
  const length = Number(lengthText);
  if (length > 128) return false;
  const address = text.slice(0, slash);
  const halves = address.split("::");
  if (halves.length > 2) return false;
  const part = (s: string) => (s === "" ? [] : s.split(":"));
  const head = part(halves[0] ?? "");
  const tail = halves.length === 2 ? part(halves[1] ?? "") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return false;
  const groups: number[] = [];
  for (const g of [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail]) {
    if (!GROUP.test(g)) return false;
    groups.push(Number.parseInt(g, 16));
  }
  // Host bits: every bit past `length` must be clear.
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, Math.max(0, length - i * 16));
    if ((groups[i]! & (0xffff >> keep)) !== 0) return false;
  }
  return formatIpv6(groups) === address;
}

/**
 * Whether a prefix is written exactly as `canonicalPrefix` writes it: IPv4 dotted quad without
 * leading zeros, IPv6 per RFC 5952 (lower case, no leading zeros, the longest run of two or
 * more zero groups, the first of equals, as `::`, no embedded IPv4), host bits clear. IRR
 * lists run to hundreds of thousands of prefixes per member and are validated at every
 * reconcile, so this parses by hand, several times faster than through an address library.
 */
export function isCanonicalPrefix(text: string, family: Family): boolean {
  if (typeof text !== "string") return false;
  return family === "ipv4" ? ipv4Canonical(text) : ipv6Canonical(text);
}
