/**
 * Communities members use to steer their routes at the route server, in IXP Manager's layout
 * (`rs` = the route server's ASN, `peer` = the ASN of the member a route is exported to):
 *
 * | action                         | large            | standard (16-bit ASNs only) |
 * |--------------------------------|------------------|-----------------------------|
 * | do not announce to peer        | `rs:0:peer`      | `0:peer`                    |
 * | do not announce to any peer    | `rs:0:0`         | `0:rs`                      |
 * | announce to peer (overrides "any") | `rs:1:peer`  | `rs:peer`                   |
 * | prepend the sender's ASN 1/2/3 times towards peer (0 = every peer) | `rs:101/102/103:peer` | – |
 *
 * "Announce only to X and Y" is do-not-announce-to-any plus announce-to X and Y. "Do not
 * announce to peer" wins over "announce to peer". They are acted on per export, then removed,
 * so no member ever sees another's steering. Large communities under `rs` with any other
 * function are removed at import (only the route server writes its informational and reason
 * codes). RFC 1997 well-known communities (NO_EXPORT, NO_ADVERTISE, …) pass through
 * untouched; the route server does not act on them (`interpret communities off`).
 */
export const actionFunctions = {
  doNotAnnounce: 0,
  announce: 1,
  prependOnce: 101,
  prependTwice: 102,
  prependThrice: 103,
} as const;

/** One action community as members write it: `rs` = the route server's ASN, `peer` = the receiving member's. */
export interface ActionCommunity {
  action: string;
  large: string;
  /** The RFC 1997 form, usable only where every ASN in it fits 16 bits; null: there is none. */
  standard: string | null;
}

/** The action communities, in words (the policy page and docs/route-server-policy.md read these). */
export const actionCommunities: readonly ActionCommunity[] = [
  {
    action: "do not announce to peer",
    large: `rs:${actionFunctions.doNotAnnounce}:peer`,
    standard: "0:peer",
  },
  { action: "do not announce to any peer", large: `rs:${actionFunctions.doNotAnnounce}:0`, standard: "0:rs" },
  {
    action: "announce to peer (with do not announce to any peer: announce only to the peers named)",
    large: `rs:${actionFunctions.announce}:peer`,
    standard: "rs:peer",
  },
  {
    action: "prepend the sender's ASN once towards peer (peer 0: towards every peer)",
    large: `rs:${actionFunctions.prependOnce}:peer`,
    standard: null,
  },
  {
    action: "prepend the sender's ASN twice towards peer (peer 0: towards every peer)",
    large: `rs:${actionFunctions.prependTwice}:peer`,
    standard: null,
  },
  {
    action: "prepend the sender's ASN three times towards peer (peer 0: towards every peer)",
    large: `rs:${actionFunctions.prependThrice}:peer`,
    standard: null,
  },
];

/** RFC 7999 BLACKHOLE and RFC 1997 NO_EXPORT, as BIRD pairs. */
export const BLACKHOLE = "(65535, 666)";
export const NO_EXPORT = "(65535, 65281)";

/** The largest ASN a standard (RFC 1997) community can carry. */
export const MAX_16BIT_ASN = 65535;
