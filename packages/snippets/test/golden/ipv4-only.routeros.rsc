# ZT-IX route-server sessions for AS65001 on "third" (network 8056c2e21c000002), MikroTik RouterOS 7.
# Review it and complete every FILL IN before pasting it into your router's config.
# Your peering address on this network's ZeroTier interface: 203.0.113.5/28.
# Route servers (one session per route server and address family):
#   rs1 AS65000: 203.0.113.1
# The route servers are transparent (RFC 7947): they do not put their ASN in the AS path and
# do not change the next hop, so a route arrives with the member that sent it as first AS and
# next hop. They filter what they send you, so everything they send is accepted here.
# You announce only your own prefixes, with your own peering address as next hop.
# IPv4: the route servers accept at most 10 prefixes from you and restart the session above that.
#
# FILL IN (1): your own prefixes, in the address lists the connections announce from. RouterOS
# announces a prefix only while a route for it is in the routing table (a blackhole route will do):
#   /ip firewall address-list add list=ztix-own-v4 address=198.51.100.0/24
# FILL IN (2): one accept rule per prefix of yours in the output chains below, above their
# final reject (uncomment and edit the examples before pasting; later, use place-before=).
#
# RouterOS 7 has no first-AS check to turn off for a BGP connection (none is documented), so
# routes the route servers pass on unchanged are accepted as they are. nexthop-choice=default
# keeps your peering address as next hop (no force-self). local.role=ebgp: the route servers
# do not negotiate RFC 9234 roles. RouterOS has no outbound prefix limit: keep what you announce
# under the route servers' limits above. On RouterOS 7.20 and later, add instance=<your BGP
# instance> to each connection if the router has more than one.

/routing filter rule
add chain=ztix-000002-rs-in rule="accept" comment="ZT-IX 000002: the route servers filter what they send"
# add chain=ztix-000002-rs-out-v4 rule="if (dst == 198.51.100.0/24) { accept }"
add chain=ztix-000002-rs-out-v4 rule="reject" comment="ZT-IX 000002: only your own IPv4 prefixes"

/routing bgp connection
add name=ztix-000002-rs1-v4 comment="ZT-IX 000002 rs1 IPv4" as=65001 local.role=ebgp local.address=203.0.113.5 remote.address=203.0.113.1 remote.as=65000 address-families=ip input.filter=ztix-000002-rs-in output.filter-chain=ztix-000002-rs-out-v4 output.network=ztix-own-v4 nexthop-choice=default
