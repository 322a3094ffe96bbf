import { commented, examplePrefix, header, lines, sessionDescription, sessionsByFamily } from "./common.ts";
import { type Family, label, parseSnippetInput, type SnippetInput, type SnippetPlan, tag } from "./input.ts";

/** The prefix list the member defines once: shared by every ZT-IX network it peers on. */
export function frrOwnPrefixList(family: Family): string {
  return `ZTIX-OWN-${tag(family).toUpperCase()}`;
}

export function frrImportRouteMap(plan: SnippetPlan): string {
  return `ZTIX-${plan.network.suffix}-RS-IN`;
}

export function frrExportRouteMap(plan: SnippetPlan, family: Family): string {
  return `ZTIX-${plan.network.suffix}-RS-OUT-${tag(family).toUpperCase()}`;
}

const prefixListCommand: Record<Family, string> = { ipv4: "ip prefix-list", ipv6: "ipv6 prefix-list" };
const matchCommand: Record<Family, string> = { ipv4: "match ip address", ipv6: "match ipv6 address" };

export function renderFrrPlan(plan: SnippetPlan): string {
  const out = commented("!", [
    ...header(plan, "FRR"),
    "",
    "FILL IN: define your own prefixes once. Until you do, the export route-maps match nothing",
    "and FRR announces nothing to the route servers:",
    ...plan.families.map(
      (f) => `  ${prefixListCommand[f]} ${frrOwnPrefixList(f)} seq 10 permit ${examplePrefix[f]}`,
    ),
    "",
    "Per neighbor: the route servers never prepend their ASN, so the first-AS check is off",
    "(`no neighbor ... enforce-first-as`): from FRR 10.0 it is on by default and would drop every",
    "route the route servers send (earlier releases leave it off). There is no next-hop-self:",
    "your routes carry your peering address. `maximum-prefix-out` stops announcing at the route",
    "servers' limit instead of making them restart the session. Each neighbor is activated in its",
    "own address family only (an IPv6 neighbor is deactivated for IPv4 unicast, which FRR would",
    "otherwise enable by default).",
  ]);
  out.push(
    "!",
    "! The route servers filter what they send: accept all of it.",
    `route-map ${frrImportRouteMap(plan)} permit 10`,
    "exit",
  );
  for (const family of plan.families) {
    out.push(
      "!",
      `! Only your own ${label(family)} prefixes; nothing learned from other peers goes back out.`,
      `route-map ${frrExportRouteMap(plan, family)} permit 10`,
      ` ${matchCommand[family]} prefix-list ${frrOwnPrefixList(family)}`,
      "exit",
    );
  }
  out.push("!", `router bgp ${plan.member.asn}`);
  for (const s of plan.sessions) {
    const n = `neighbor ${s.neighbor}`;
    out.push(
      ` ${n} remote-as ${s.routeServer.asn}`,
      ` ${n} description ${sessionDescription(plan, s.routeServer.name, s.family)}`,
      ` ${n} update-source ${s.local}`,
      ...(plan.password === undefined ? [] : [` ${n} password ${plan.password}`]),
      ` no ${n} enforce-first-as`,
    );
  }
  const byFamily = sessionsByFamily(plan);
  for (const { family, sessions } of byFamily) {
    const limit = plan.limits[family];
    out.push(` address-family ${family} unicast`);
    for (const s of sessions) {
      const n = `neighbor ${s.neighbor}`;
      out.push(
        `  ${n} activate`,
        `  ${n} route-map ${frrImportRouteMap(plan)} in`,
        `  ${n} route-map ${frrExportRouteMap(plan, family)} out`,
        ...(limit === undefined ? [] : [`  ${n} maximum-prefix-out ${limit}`]),
      );
    }
    if (family === "ipv4") {
      for (const s of plan.sessions.filter((x) => x.family === "ipv6"))
        out.push(`  no neighbor ${s.neighbor} activate`);
    }
    out.push(" exit-address-family");
  }
  // An IPv6-only member still has IPv6 neighbors that FRR activates for IPv4 by default.
  if (!plan.families.includes("ipv4")) {
    out.push(" address-family ipv4 unicast");
    for (const s of plan.sessions) out.push(`  no neighbor ${s.neighbor} activate`);
    out.push(" exit-address-family");
  }
  out.push("exit");
  return lines(out);
}

/** FRR (frr.conf / vtysh) config for the member's side. */
export function renderFrrSnippet(input: SnippetInput): string {
  return renderFrrPlan(parseSnippetInput(input));
}
