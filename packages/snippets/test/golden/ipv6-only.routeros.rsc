# ZT-IX route-server sessions for AS4200000001 on "second-lan" (network 8056c2e21cabcdef), MikroTik RouterOS 7.
# Review it and complete every FILL IN before pasting it into your router's config.
# Your peering address on this network's ZeroTier interface: fd00:147:17::6:4500:1/64.
# Route servers (one session per route server and address family):
#   rs-east AS64512: fd00:147:17::fe
#   rs-west AS64511: fd00:147:17::1
# The route servers are transparent (RFC 7947): they do not put their ASN in the AS path and
# do not change the next hop, so a route arrives with the member that sent it as first AS and
# next hop. They filter what they send you, so everything they send is accepted here.
# You announce only your own prefixes, with your own peering address as next hop.
# IPv6: the route servers apply the exchange's default limit to what you announce.
#
# FILL IN (1): your own prefixes, in the address lists the connections announce from. RouterOS
# announces a prefix only while a route for it is in the routing table (a blackhole route will do):
#   /ipv6 firewall address-list add list=ztix-own-v6 address=2001:db8:1000::/36
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
add chain=ztix-abcdef-rs-in rule="accept" comment="ZT-IX abcdef: the route servers filter what they send"
# add chain=ztix-abcdef-rs-out-v6 rule="if (dst == 2001:db8:1000::/36) { accept }"
add chain=ztix-abcdef-rs-out-v6 rule="reject" comment="ZT-IX abcdef: only your own IPv6 prefixes"

/routing bgp connection
add name=ztix-abcdef-rs-east-v6 comment="ZT-IX abcdef rs-east IPv6" as=4200000001 local.role=ebgp local.address=fd00:147:17::6:4500:1 remote.address=fd00:147:17::fe remote.as=64512 address-families=ipv6 input.filter=ztix-abcdef-rs-in output.filter-chain=ztix-abcdef-rs-out-v6 output.network=ztix-own-v6 nexthop-choice=default
add name=ztix-abcdef-rs-west-v6 comment="ZT-IX abcdef rs-west IPv6" as=4200000001 local.role=ebgp local.address=fd00:147:17::6:4500:1 remote.address=fd00:147:17::1 remote.as=64511 address-families=ipv6 input.filter=ztix-abcdef-rs-in output.filter-chain=ztix-abcdef-rs-out-v6 output.network=ztix-own-v6 nexthop-choice=default
