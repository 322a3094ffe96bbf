import type { RuntimeConfig } from "@ztix/core";
import { irrPrefixLists, peeringDbRecord, routeServerState } from "@ztix/data";
import { DEMO_RPSL, startWhoisStandIn, type WhoisStandIn } from "@ztix/irr/stand-in";
import { type PeeringDbStandIn, startPeeringDbStandIn } from "@ztix/peeringdb/stand-in";
import { loadPolicyData, memberOf, PolicyDataCache, withPolicyData } from "@ztix/route-servers";
import { setPolicyOverride } from "@ztix/workflow";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEST_NETWORK_ID, testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import type { WorkerDeps } from "../src/deps.ts";
import { refreshPolicyData } from "../src/policy-data/job.ts";
import { depsWithoutController } from "./support/deps.ts";

const API_KEY = "pdb-test-key-0123456789";
const REQUEST_ID = "6f1d7c1a-0000-4000-8000-000000000001";

let stack: TestStack;
let pdb: PeeringDbStandIn;
let whois: WhoisStandIn;
let clock: Date;

function config(overrides: { irrTimeout?: number } = {}): RuntimeConfig {
  return testConfig({
    peeringdb_api: { base_url: pdb.url, api_key: { secret: "peeringdb_api_key" } },
    irr_sources: {
      host: "127.0.0.1",
      port: whois.port,
      sources: ["TEST", "RIPE"],
      allow_private_asns: true,
      timeout_seconds: overrides.irrTimeout ?? 20,
    },
    route_server_policy: { irr: { mode: "strict" } },
    route_servers: [
      {
        id: "rs1",
        asn: 64512,
        router_id: "192.0.2.1",
        peering_ipv4: "192.0.2.1",
        ssh: {
          host: "127.0.0.1",
          port: 22,
          user: "root",
          host_key_fingerprint: `SHA256:${"A".repeat(43)}`,
          private_key: { secret: "rs-key" },
        },
      },
    ],
  } as never);
}

function depsWith(cfg: RuntimeConfig): WorkerDeps {
  return depsWithoutController(stack, cfg, { now: () => clock });
}

async function seedMember(asn: number, nodeId: string) {
  await stack.data.entities.routeServerMember
    .put({
      network: TEST_NETWORK_ID.slice(10),
      asn,
      nodeId,
      networkId: TEST_NETWORK_ID,
      requestId: REQUEST_ID,
      ipv4: "192.0.2.20",
      activation: "active",
      updatedAt: clock.toISOString(),
    })
    .go();
}

beforeAll(async () => {
  stack = await testStack({ secrets: { peeringdb_api_key: API_KEY } });
  pdb = await startPeeringDbStandIn({ apiKey: API_KEY });
  whois = await startWhoisStandIn({ rpsl: DEMO_RPSL });
  clock = new Date("2026-06-01T10:00:00Z");
  await seedMember(64500, "a1b2c3d4e5");
});
afterAll(async () => {
  await Promise.all([pdb?.stop(), whois?.stop()]);
});
beforeEach(() => {
  pdb.setFault(null);
  whois.setFault(null);
});

describe("refreshing policy data", () => {
  it("reads a new member's PeeringDB record and builds its IRR lists with bgpq4, then reconciles", async () => {
    const deps = depsWith(config());
    const report = await refreshPolicyData(deps, {
      kind: "policy_data",
      scope: "due",
      requestedAt: clock.toISOString(),
    });

    expect(report.lookups).toEqual([{ asn: 64500, ok: true, changed: true }]);
    expect(report.neverVia).toEqual({ ok: true, changed: true, count: 1 });
    expect(report.builds.map((b) => [b.target, b.ok, b.changed])).toEqual([["AS-EXAMPLE", true, true]]);
    expect(report.reconciled).toEqual(["rs1"]);

    const record = await peeringDbRecord(stack.data, 64500);
    expect(record).toMatchObject({
      asn: 64500,
      found: true,
      failures: 0,
      lastSuccessAt: clock.toISOString(),
    });
    expect(record?.network).toMatchObject({ prefixes4: 120, prefixes6: 40, irrAsSets: ["AS-EXAMPLE"] });
    // Every request carried the key.
    expect(pdb.requests.every((r) => r.authorization === `Api-Key ${API_KEY}`)).toBe(true);

    const list = (await irrPrefixLists(stack.data, ["AS-EXAMPLE"])).get("AS-EXAMPLE");
    expect(list).toMatchObject({ stale: false, count4: 3, sources: ["TEST", "RIPE"] });
    const state = await routeServerState(stack.data, "rs1");
    expect(state?.requestedAt).toBe(clock.toISOString());
  });

  it("does nothing on the next run while nothing is due: no lookup, no bgpq4, no reconcile", async () => {
    const deps = depsWith(config());
    const before = { http: pdb.requests.length, whois: whois.connections };
    clock = new Date(clock.getTime() + 60_000);
    const report = await refreshPolicyData(deps, {
      kind: "policy_data",
      scope: "due",
      requestedAt: clock.toISOString(),
    });
    expect(report).toEqual({ lookups: [], builds: [], reconciled: [] });
    expect(pdb.requests.length).toBe(before.http);
    expect(whois.connections).toBe(before.whois);
  });

  it("renders the member with its PeeringDB limits plus headroom and its registered prefixes", async () => {
    const deps = depsWith(config());
    const item = (await stack.data.entities.routeServerMember.query.byNetwork({ network: "000001" }).go())
      .data[0]!;
    const data = await loadPolicyData(stack.data, deps.config, [item]);
    const member = withPolicyData(memberOf(item), item, deps.config, data);
    // 120 and 40 prefixes in PeeringDB, +20 % headroom.
    expect(member.receiveLimit).toEqual({ ipv4: 144, ipv6: 48 });
    expect(member.irr).toEqual({
      asSet: "AS-EXAMPLE",
      ipv4: ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"],
      ipv6: ["2001:db8::/32", "2001:db8:1::/48"],
    });
    expect(data.context).toEqual({ neverViaRouteServers: [64503] });
  });

  it("keeps the last good record when PeeringDB throttles, and waits at least its Retry-After", async () => {
    const deps = depsWith(config());
    pdb.setFault({ kind: "status", status: 429, retryAfter: "3600" });
    const report = await refreshPolicyData(deps, {
      kind: "policy_data",
      scope: "asn",
      asn: 64500,
      requestedAt: clock.toISOString(),
    });
    expect(report.lookups).toEqual([
      { asn: 64500, ok: false, changed: false, errorCode: "peeringdb_rate_limited" },
    ]);
    const record = await peeringDbRecord(stack.data, 64500);
    expect(record).toMatchObject({ found: true, failures: 1, lastErrorCode: "peeringdb_rate_limited" });
    expect(record?.network).toMatchObject({ prefixes4: 120 });
    expect(Date.parse(record!.nextRefreshAt)).toBeGreaterThanOrEqual(clock.getTime() + 3600_000);
  });

  it("keeps the last good IRR lists, marked stale, when the IRR server stops answering", async () => {
    const deps = depsWith(config({ irrTimeout: 1 }));
    whois.setFault({ match: () => true, kind: "stall" });
    const report = await refreshPolicyData(deps, {
      kind: "policy_data",
      scope: "asn",
      asn: 64500,
      irr: true,
      requestedAt: clock.toISOString(),
    });
    expect(report.builds).toEqual([
      { target: "AS-EXAMPLE", ok: false, changed: true, errorCode: "irr_timeout" },
    ]);
    const list = (await irrPrefixLists(stack.data, ["AS-EXAMPLE"])).get("AS-EXAMPLE");
    expect(list).toMatchObject({ stale: true, count4: 3, failures: 1, lastErrorCode: "irr_timeout" });

    const item = (await stack.data.entities.routeServerMember.query.byNetwork({ network: "000001" }).go())
      .data[0]!;
    const data = await loadPolicyData(stack.data, deps.config, [item]);
    const member = withPolicyData(memberOf(item), item, deps.config, data);
    expect(member.irr?.stale).toBe(true);
    expect(member.irr?.ipv4).toHaveLength(3);
  });

  it("lets an admin override the limits and the IRR object of one membership, audited and reconciled", async () => {
    const deps = depsWith(config());
    await stack.data.entities.joinRequest
      .create({
        requestId: REQUEST_ID,
        userId: "user-1",
        asn: 64500,
        networkId: TEST_NETWORK_ID,
        nodeId: "a1b2c3d4e5",
        status: "active",
        attempt: 1,
        correlationId: "c-1",
        createdAt: clock.toISOString(),
        updatedAt: clock.toISOString(),
      } as never)
      .go();
    const out = await setPolicyOverride(deps, "admin-1", REQUEST_ID, {
      max_prefix_ipv4: 500,
      irr_as_sets: ["as64500:as-hierarchical"],
      note: "customer cone grew; ticket 42",
    });
    expect(out.override).toEqual({
      max_prefix_ipv4: 500,
      max_prefix_ipv6: null,
      irr_as_sets: ["AS64500:AS-HIERARCHICAL"],
    });
    await refreshPolicyData(deps, {
      kind: "policy_data",
      scope: "asn",
      asn: 64500,
      irr: true,
      requestedAt: clock.toISOString(),
    });
    const item = (await stack.data.entities.routeServerMember.query.byNetwork({ network: "000001" }).go())
      .data[0]!;
    const data = await loadPolicyData(stack.data, deps.config, [item]);
    const member = withPolicyData(memberOf(item), item, deps.config, data);
    expect(member.receiveLimit).toEqual({ ipv4: 500, ipv6: 48 });
    expect(member.irr).toEqual({ asSet: "AS64500:AS-HIERARCHICAL", ipv4: [], ipv6: ["2001:db8:2::/48"] });
    const audit = await stack.data.entities.auditEvent.query
      .bySubject({ subject: `request#${REQUEST_ID}` })
      .go();
    expect(audit.data.map((e) => e.action)).toContain("policy.override_set");
  });
});

describe("a warm worker's policy data", () => {
  const itemsNow = async () =>
    (await stack.data.entities.routeServerMember.query.byNetwork({ network: "000001" }).go()).data;

  it("is read once, then only for members it has not seen, and anew once a refresh changed it", async () => {
    const deps = depsWith(config());
    const cache = new PolicyDataCache();
    const limitsOf = async (items: Awaited<ReturnType<typeof itemsNow>>) => {
      const data = await loadPolicyData(stack.data, deps.config, items, { cache });
      const item = items.find((i) => i.asn === 64500)!;
      return {
        reads: data.reads,
        limits: withPolicyData(memberOf(item), item, deps.config, data).receiveLimit,
      };
    };

    const cold = await limitsOf(await itemsNow());
    // The record, the list of AS-EXAMPLE and the never-via list.
    expect(cold.reads).toBe(3);
    expect(await limitsOf(await itemsNow())).toEqual({ reads: 0, limits: cold.limits });

    // A member never seen: its record and its list, nothing else.
    await stack.data.entities.routeServerMember
      .put({
        network: "000001",
        asn: 64501,
        nodeId: "b1b2c3d4e5",
        networkId: TEST_NETWORK_ID,
        requestId: "6f1d7c1a-0000-4000-8000-000000000002",
        ipv4: "192.0.2.21",
        activation: "active",
        updatedAt: clock.toISOString(),
      })
      .go();
    expect((await limitsOf(await itemsNow())).reads).toBe(2);

    // PeeringDB now says 100 IPv6 prefixes (the IPv4 limit is an admin's override, above): the
    // refresh that stores it changes the generation.
    const answer = (await (
      await fetch(`${pdb.url}/api/net?asn=64500`, { headers: { authorization: `Api-Key ${API_KEY}` } })
    ).json()) as { data: Record<string, unknown>[] };
    answer.data[0]!.info_prefixes6 = 100;
    pdb.setFault({ kind: "body", body: JSON.stringify(answer), path: /^\/api\/net\?/, count: 1 });
    const report = await refreshPolicyData(deps, {
      kind: "policy_data",
      scope: "asn",
      asn: 64500,
      requestedAt: clock.toISOString(),
    });
    expect(report.lookups).toEqual([{ asn: 64500, ok: true, changed: true }]);
    const after = await limitsOf(await itemsNow());
    expect(after.limits).toEqual({ ipv4: 500, ipv6: 120 });
    expect(after.reads).toBeGreaterThanOrEqual(5);
  });

  it("is not trusted by a reconcile that reads everything (the schedule, an admin)", async () => {
    const deps = depsWith(config());
    const cache = new PolicyDataCache();
    const items = await itemsNow();
    await loadPolicyData(stack.data, deps.config, items, { cache });
    expect((await loadPolicyData(stack.data, deps.config, items, { cache })).reads).toBe(0);
    expect((await loadPolicyData(stack.data, deps.config, items, { cache, full: true })).reads).toBe(5);
  });
});
