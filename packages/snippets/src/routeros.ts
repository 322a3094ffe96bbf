import { commented, examplePrefix, header, lines, sessionDescription, sessionsByFamily } from "./common.ts";
import { type Family, label, parseSnippetInput, type SnippetInput, type SnippetPlan, tag } from "./input.ts";

/** The address list the member fills once: shared by every ZT-IX network it peers on. */
export function routerosOwnAddressList(family: Family): string {
  return `ztix-own-${tag(family)}`;
}

export function routerosImportChain(plan: SnippetPlan): string {
  return `ztix-${plan.network.suffix}-rs-in`;
}

export function routerosExportChain(plan: SnippetPlan, family: Family): string {
  return `ztix-${plan.network.suffix}-rs-out-${tag(family)}`;
}

export function routerosConnectionName(plan: SnippetPlan, rsName: string, family: Family): string {
  return `ztix-${plan.network.suffix}-${rsName}-${tag(family)}`;
}

const addressListMenu: Record<Family, string> = {
  ipv4: "/ip firewall address-list",
  ipv6: "/ipv6 firewall address-list",
};
/** RouterOS calls the IPv4 unicast family `ip`. */
const addressFamily: Record<Family, string> = { ipv4: "ip", ipv6: "ipv6" };

/**
 * MikroTik RouterOS 7, as terminal commands (`/import` or paste). A v7 connection announces
 * the networks of its `output.network` address list that are in the routing table, and also
 * passes on BGP routes learned from other peers unless its output chain rejects them: the
 * chain ends in `reject`, and the member's accept rules go above it.
 */
export function renderRouterosPlan(plan: SnippetPlan): string {
  const out = commented("#", [
    ...header(plan, "MikroTik RouterOS 7"),
    "",
    "FILL IN (1): your own prefixes, in the address lists the connections announce from. RouterOS",
    "announces a prefix only while a route for it is in the routing table (a blackhole route will do):",
    ...plan.families.map(
      (f) => `  ${addressListMenu[f]} add list=${routerosOwnAddressList(f)} address=${examplePrefix[f]}`,
    ),
    "FILL IN (2): one accept rule per prefix of yours in the output chains below, above their",
    "final reject (uncomment and edit the examples before pasting; later, use place-before=).",
    "",
    "RouterOS 7 has no first-AS check to turn off for a BGP connection (none is documented), so",
    "routes the route servers pass on unchanged are accepted as they are. nexthop-choice=default",
    "keeps your peering address as next hop (no force-self). local.role=ebgp: the route servers",
    "do not negotiate RFC 9234 roles. RouterOS has no outbound prefix limit: keep what you announce",
    "under the route servers' limits above. On RouterOS 7.20 and later, add instance=<your BGP",
    "instance> to each connection if the router has more than one.",
  ]);
  out.push(
    "",
    "/routing filter rule",
    `add chain=${routerosImportChain(plan)} rule="accept" comment="ZT-IX ${plan.network.suffix}: the route servers filter what they send"`,
  );
  for (const family of plan.families) {
    const chain = routerosExportChain(plan, family);
    out.push(
      `# add chain=${chain} rule="if (dst == ${examplePrefix[family]}) { accept }"`,
      `add chain=${chain} rule="reject" comment="ZT-IX ${plan.network.suffix}: only your own ${label(family)} prefixes"`,
    );
  }
  out.push("", "/routing bgp connection");
  for (const { family, sessions } of sessionsByFamily(plan)) {
    for (const s of sessions) {
      const fields = [
        `name=${routerosConnectionName(plan, s.routeServer.name, family)}`,
        `comment="${sessionDescription(plan, s.routeServer.name, family)}"`,
        `as=${plan.member.asn}`,
        "local.role=ebgp",
        `local.address=${s.local}`,
        `remote.address=${s.neighbor}`,
        `remote.as=${s.routeServer.asn}`,
        `address-families=${addressFamily[family]}`,
        `input.filter=${routerosImportChain(plan)}`,
        `output.filter-chain=${routerosExportChain(plan, family)}`,
        `output.network=${routerosOwnAddressList(family)}`,
        "nexthop-choice=default",
        ...(plan.password === undefined ? [] : [`tcp-md5-key="${plan.password}"`]),
      ];
      out.push(`add ${fields.join(" ")}`);
    }
  }
  return lines(out);
}

/** MikroTik RouterOS 7 commands for the member's side. */
export function renderRouterosSnippet(input: SnippetInput): string {
  return renderRouterosPlan(parseSnippetInput(input));
}
