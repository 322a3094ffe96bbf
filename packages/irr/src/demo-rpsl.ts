/**
 * IRR data of the demo networks (the PeeringDB stand-in's AS64500 and its as-set AS-EXAMPLE) as
 * RPSL, for the whois stand-in in tests and `npm run dev`. Documentation ASNs and prefixes only:
 *
 *   AS-EXAMPLE ── AS64500                 192.0.2.0/24, 198.51.100.0/24 (written twice: TEST and
 *            │                            RIPE), 192.0.2.128/25 (longer than /24), 2001:DB8:1::/48
 *            └─ AS-EXAMPLE-CUSTOMERS ── AS64501   203.0.113.0/24, 2001:db8::/32, 2001:db8:ff00::/56
 *                                   ├─ AS-EXAMPLE-EMPTY (exists, no members)
 *                                   ├─ AS-DANGLING (no such object)
 *                                   └─ AS-EXAMPLE (a loop back to the top)
 *   AS64500:AS-HIERARCHICAL ── AS64502    2001:db8:2::/48
 *   AS-ONLY-IN-RIPE (source RIPE) ── AS64503   2001:db8:3::/48
 *   AS-MIXED ── AS64500, AS4199999999     (outside bgpq4's private ranges) 2001:db8:4::/48
 */
export const DEMO_RPSL = `
as-set:     AS-EXAMPLE
descr:      a member's customer cone
members:    AS64500, AS-EXAMPLE-CUSTOMERS
source:     TEST

as-set:     AS-EXAMPLE-CUSTOMERS
members:    AS64501,
+           AS-EXAMPLE-EMPTY, AS-DANGLING   # a reference to nothing, as real IRRs have
            AS-EXAMPLE
source:     TEST

as-set:     AS-EXAMPLE-EMPTY
source:     TEST

as-set:     AS64500:AS-HIERARCHICAL
members:    AS64502
source:     TEST

as-set:     AS-ONLY-IN-RIPE
members:    AS64503
source:     RIPE

as-set:     AS-MIXED
members:    AS64500, AS4199999999
source:     TEST

aut-num:    AS64500
as-name:    EXAMPLE
source:     TEST

route:      198.51.100.0/24
origin:     AS64500
source:     TEST

route:      192.0.2.0/24
origin:     AS64500
source:     TEST

route:      198.51.100.0/24
origin:     AS64500
source:     RIPE

route:      192.0.2.128/25
origin:     AS64500
source:     TEST

route6:     2001:DB8:1::/48
origin:     AS64500
source:     TEST

route:      203.0.113.0/24
origin:     AS64501
source:     TEST

route6:     2001:db8::/32
origin:     AS64501
source:     TEST

route6:     2001:db8:ff00::/56
origin:     AS64501
source:     TEST

route6:     2001:db8:2::/48
origin:     AS64502
source:     TEST

route6:     2001:db8:3::/48
origin:     AS64503
source:     RIPE

route6:     2001:db8:4::/48
origin:     AS4199999999
source:     TEST
`;
