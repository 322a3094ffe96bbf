/**
 * Bogon prefixes and ASNs. Documentation resources are listed apart because a lab built from
 * them (`allow_documentation_resources`) must be able to exchange routes.
 */

/** Special-purpose IPv4 space that must never be routed on the Internet (RFC 6890 and friends). */
export const ipv4Bogons = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
export const ipv4Documentation = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

/** IPv6: only global unicast (2000::/3) is routable; these are the bogons inside it. */
export const ipv6GlobalUnicast = "2000::/3";
export const ipv6Bogons = ["2001:2::/48", "2001:10::/28", "2002::/16", "3ffe::/16"];
export const ipv6Documentation = ["2001:db8::/32"];

/** [first, last] ranges of ASNs that must not appear in a path (RFC 7607, 6793, 5398, 6996, 7300, IANA). */
export const bogonAsnRanges: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [23456, 23456],
  [64512, 65534],
  [65535, 65535],
  [65552, 131071],
  [4200000000, 4294967295],
];
export const documentationAsnRanges: ReadonlyArray<readonly [number, number]> = [
  [64496, 64511],
  [65536, 65551],
];
