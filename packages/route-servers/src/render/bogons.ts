/**
 * Bogon prefixes and ASNs. Documentation resources are listed apart because a lab built from
 * them (`allow_documentation_resources`) must be able to exchange routes. Each list matches
 * the prefix and everything more specific.
 */

/** Special-purpose IPv4 space that must never be routed on the Internet (RFC 6890 and friends). */
export const ipv4Bogons = [
  "0.0.0.0/8", // RFC 1122 "this network"
  "10.0.0.0/8", // RFC 1918
  "100.64.0.0/10", // RFC 6598 shared address space (CGN)
  "127.0.0.0/8", // RFC 1122 loopback
  "169.254.0.0/16", // RFC 3927 link local
  "172.16.0.0/12", // RFC 1918
  "192.0.0.0/24", // RFC 6890 IETF protocol assignments
  "192.88.99.0/24", // RFC 7526 deprecated 6to4 relay anycast
  "192.168.0.0/16", // RFC 1918
  "198.18.0.0/15", // RFC 2544 benchmarking
  "224.0.0.0/4", // RFC 5771 multicast
  "240.0.0.0/4", // RFC 1112 reserved, and the limited broadcast address
];
/** RFC 5737 TEST-NET-1/2/3. */
export const ipv4Documentation = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

/**
 * IPv6: only global unicast (2000::/3) is routable, so everything outside it is rejected by
 * one check (`::/8`, `100::/64` discard-only, `64:ff9b::/96` NAT64, `fc00::/7` ULA,
 * `fe80::/10` link local, `fec0::/10` site local, `ff00::/8` multicast: the rest of the usual
 * bogon lists). These are the bogons inside 2000::/3.
 */
export const ipv6GlobalUnicast = "2000::/3";
export const ipv6Bogons = [
  "2001::/32", // RFC 4380 Teredo: tunnelled addresses, never reached through an exchange
  "2001:2::/48", // RFC 5180 benchmarking
  "2001:10::/28", // RFC 4843 ORCHID (deprecated)
  "2001:20::/28", // RFC 7343 ORCHIDv2: identifiers, not routable locators
  "2002::/16", // RFC 7526 6to4 (deprecated)
  "3ffe::/16", // RFC 3701 former 6bone
  "5f00::/16", // RFC 9602 SRv6 SIDs, not globally reachable
];
/** RFC 3849 and RFC 9637 documentation prefixes. */
export const ipv6Documentation = ["2001:db8::/32", "3fff::/20"];

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
