# ZT-IX route-server sessions for AS64500 on "ZT-IX Lab (Frankfurt) #1" (network 8056c2e21c1c0001), MikroTik RouterOS 7.
# Review it and complete every FILL IN before pasting it into your router's config.
# Your peering addresses on this network's ZeroTier interface: 192.0.2.10/24 and 2001:db8:100::a/64.
# Route servers (one session per route server and address family):
#   rs1 AS64510: 192.0.2.1, 2001:db8:100::1
#   rs2 AS64510: 192.0.2.2, 2001:db8:100::2
# The route servers are transparent (RFC 7947): they do not put their ASN in the AS path and
# do not change the next hop, so a route arrives with the member that sent it as first AS and
# next hop. They filter what they send you, so everything they send is accepted here.
# You announce only your own prefixes, with your own peering address as next hop.
# IPv4: the route servers accept at most 120 prefixes from you and restart the session above that.
# IPv6: the route servers accept at most 60 prefixes from you and restart the session above that.
#
# FILL IN (1): your own prefixes, in the address lists the connections announce from. RouterOS
# announces a prefix only while a route for it is in the routing table (a blackhole route will do):
#   /ip firewall address-list add list=ztix-own-v4 address=198.51.100.0/24
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
add chain=ztix-1c0001-rs-in rule="accept" comment="ZT-IX 1c0001: the route servers filter what they send"
# add chain=ztix-1c0001-rs-out-v4 rule="if (dst == 198.51.100.0/24) { accept }"
add chain=ztix-1c0001-rs-out-v4 rule="reject" comment="ZT-IX 1c0001: only your own IPv4 prefixes"
# add chain=ztix-1c0001-rs-out-v6 rule="if (dst == 2001:db8:1000::/36) { accept }"
add chain=ztix-1c0001-rs-out-v6 rule="reject" comment="ZT-IX 1c0001: only your own IPv6 prefixes"

/routing bgp connection
add name=ztix-1c0001-rs1-v4 comment="ZT-IX 1c0001 rs1 IPv4" as=64500 local.role=ebgp local.address=192.0.2.10 remote.address=192.0.2.1 remote.as=64510 address-families=ip input.filter=ztix-1c0001-rs-in output.filter-chain=ztix-1c0001-rs-out-v4 output.network=ztix-own-v4 nexthop-choice=default tcp-md5-key="s3cret.Key-1"
add name=ztix-1c0001-rs2-v4 comment="ZT-IX 1c0001 rs2 IPv4" as=64500 local.role=ebgp local.address=192.0.2.10 remote.address=192.0.2.2 remote.as=64510 address-families=ip input.filter=ztix-1c0001-rs-in output.filter-chain=ztix-1c0001-rs-out-v4 output.network=ztix-own-v4 nexthop-choice=default tcp-md5-key="s3cret.Key-1"
add name=ztix-1c0001-rs1-v6 comment="ZT-IX 1c0001 rs1 IPv6" as=64500 local.role=ebgp local.address=2001:db8:100::a remote.address=2001:db8:100::1 remote.as=64510 address-families=ipv6 input.filter=ztix-1c0001-rs-in output.filter-chain=ztix-1c0001-rs-out-v6 output.network=ztix-own-v6 nexthop-choice=default tcp-md5-key="s3cret.Key-1"
add name=ztix-1c0001-rs2-v6 comment="ZT-IX 1c0001 rs2 IPv6" as=64500 local.role=ebgp local.address=2001:db8:100::a remote.address=2001:db8:100::2 remote.as=64510 address-families=ipv6 input.filter=ztix-1c0001-rs-in output.filter-chain=ztix-1c0001-rs-out-v6 output.network=ztix-own-v6 nexthop-choice=default tcp-md5-key="s3cret.Key-1"
