/**
 * Demo PeeringDB data for the stand-in: documentation ASNs (RFC 5398) only, including the dev
 * stack's demo networks (AS64496 demo-admin, AS64500/AS64501 demo-operator, AS64511 the local
 * `operator` account), which are kept plain so that no flag here blocks a demo join. The other
 * records each exercise one thing the client must cope with.
 */

/** A PeeringDB `net` object as the API serves it (served verbatim: tests may put anything in). */
export interface PeeringDbNetFixture {
  id: number;
  asn: number;
  name: string;
  aka?: string | null;
  org_id?: number | null;
  info_prefixes4?: number | null;
  info_prefixes6?: number | null;
  irr_as_set?: string | null;
  info_never_via_route_servers?: boolean | null;
  policy_general?: string | null;
  policy_url?: string | null;
  info_type?: string | null;
  website?: string | null;
  status?: string;
  created?: string;
  updated: string;
  [field: string]: unknown;
}

export interface PeeringDbOrgFixture {
  id: number;
  name: string;
  [field: string]: unknown;
}

export const DEMO_ORGS: PeeringDbOrgFixture[] = [
  { id: 20001, name: "Demo Exchange Association", status: "ok" },
  { id: 20002, name: "Example Holdings", status: "ok" },
  { id: 20003, name: "Local Operator Ltd", status: "ok" },
  { id: 20004, name: "Large Transit Group", status: "ok" },
  { id: 20005, name: "Example Content Inc.", status: "ok" },
];

const common = { status: "ok", created: "2020-03-01T09:00:00Z" };

export const DEMO_NETWORKS: PeeringDbNetFixture[] = [
  {
    ...common,
    id: 30001,
    asn: 64496,
    name: "Demo Exchange Operations",
    aka: "ZT-IX Demo",
    org_id: 20001,
    // No stated counts (0 means "not filled in") and no as-set: the IX's own management network.
    info_prefixes4: 0,
    info_prefixes6: 0,
    irr_as_set: "",
    info_never_via_route_servers: false,
    policy_general: "Open",
    policy_url: "",
    info_type: "Non-Profit",
    website: "https://ix.example.net/",
    updated: "2025-01-10T08:00:00Z",
  },
  {
    ...common,
    id: 30002,
    asn: 64500,
    name: "Example Network",
    aka: "ExampleNet",
    org_id: 20002,
    info_prefixes4: 120,
    info_prefixes6: 40,
    irr_as_set: "AS-EXAMPLE",
    info_never_via_route_servers: false,
    policy_general: "Open",
    policy_url: "https://www.example.org/peering",
    info_type: "NSP",
    website: "https://www.example.org/",
    updated: "2025-02-14T12:30:00Z",
  },
  {
    ...common,
    id: 30003,
    asn: 64501,
    name: "Example Sister Network",
    org_id: 20002,
    // IPv6 count left empty (null, as the API gives it), as-set source-prefixed.
    info_prefixes4: 15,
    info_prefixes6: null,
    irr_as_set: "RIPE::AS-EXAMPLE-SISTER",
    info_never_via_route_servers: false,
    policy_general: "Selective",
    info_type: "Enterprise",
    website: "https://sister.example.org/",
    updated: "2024-11-02T17:45:00Z",
  },
  {
    ...common,
    id: 30004,
    asn: 64511,
    name: "Local Operator Network",
    aka: "LocalOp",
    org_id: 20003,
    info_prefixes4: 25,
    info_prefixes6: 10,
    // A hierarchical set plus the aut-num itself.
    irr_as_set: "AS64511:AS-CUSTOMERS AS64511",
    info_never_via_route_servers: false,
    policy_general: "Open",
    policy_url: "https://noc.example.com/peering-policy",
    info_type: "Cable/DSL/ISP",
    website: "https://example.com/",
    updated: "2025-03-01T06:15:00Z",
  },
  {
    ...common,
    id: 30005,
    asn: 64502,
    name: "Large Transit Example",
    org_id: 20004,
    // A full-table-sized network: large counts, several sets in several spellings.
    info_prefixes4: 950_000,
    info_prefixes6: 210_000,
    irr_as_set: "AS-LARGE@RADB RIPE::AS-LARGE-EU, ARIN::AS-LARGE-NA AS-LARGE@RADB",
    info_never_via_route_servers: false,
    policy_general: "Restrictive",
    policy_url: "https://transit.example.net/policy",
    info_type: "NSP",
    website: "https://transit.example.net/",
    updated: "2025-01-20T10:00:00Z",
  },
  {
    ...common,
    id: 30006,
    asn: 64503,
    name: "Example Content Delivery",
    org_id: 20005,
    info_prefixes4: 300,
    info_prefixes6: 150,
    irr_as_set: "AS-EXAMPLE-CDN",
    // Peers only bilaterally: a route server must not carry its routes.
    info_never_via_route_servers: true,
    policy_general: "Selective",
    policy_url: "https://cdn.example.com/peering",
    info_type: "Content",
    website: "https://cdn.example.com/",
    updated: "2024-12-24T23:59:59Z",
  },
  {
    ...common,
    id: 30007,
    asn: 65536,
    // Hostile text: a terminal escape, a bell, a right-to-left override, a zero-width space,
    // a line break. It must come out as one plain line.
    name: "Evil\u001b[31m Net\u0007work \u202Eten.elpmaxe\u200B\nSecond Line",
    aka: "\u202Ejavascript:alert(1)",
    org_id: null,
    info_prefixes4: 8,
    info_prefixes6: 2,
    // Junk between real sets: only valid names survive.
    irr_as_set: "AS-GOOD n/a AS-\u202EBAD RADB::AS65536:AS-CUST;R!PE::AS-X",
    info_never_via_route_servers: false,
    policy_general: "Open",
    policy_url: "javascript:alert(1)",
    info_type: "NSP",
    website: "",
    updated: "2025-02-01T00:00:00Z",
  },
  {
    // A bare record: only what PeeringDB always has. Every optional field is absent.
    ...common,
    id: 30008,
    asn: 65551,
    name: "Minimal Example",
    updated: "2023-06-30T12:00:00Z",
  },
];
