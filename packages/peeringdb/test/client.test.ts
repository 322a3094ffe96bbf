import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createPeeringDbClient,
  isPeeringDbError,
  type PeeringDbClientOptions,
  PeeringDbError,
  parseRetryAfter,
  peeringDbNetworkSchema,
} from "../src/index.ts";
import { type PeeringDbStandIn, startPeeringDbStandIn } from "../src/stand-in.ts";

const KEY = "test-key-0123456789abcdef";
const FETCHED = new Date("2025-04-01T10:00:00.000Z");
let standIn: PeeringDbStandIn;

beforeAll(async () => {
  standIn = await startPeeringDbStandIn({ apiKey: KEY });
});
afterEach(() => {
  standIn.setFault(null);
  standIn.requests.length = 0;
});
afterAll(async () => {
  await standIn.stop();
});

function client(options: Partial<PeeringDbClientOptions> = {}) {
  return createPeeringDbClient({ baseUrl: standIn.url, apiKey: KEY, now: () => FETCHED, ...options });
}

/** The PeeringDbError a lookup fails with (fails the test if it succeeds or throws anything else). */
async function failure(promise: Promise<unknown>): Promise<PeeringDbError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isPeeringDbError(e), `expected a PeeringDbError, got ${String(e)}`).toBe(true);
  return e as PeeringDbError;
}

describe("reading a network", () => {
  it("parses a normal record into the typed record, sending the API key", async () => {
    const net = await client().getNetwork(64500);
    expect(net).toEqual({
      asn: 64500,
      name: "Example Network",
      aka: "ExampleNet",
      orgId: 20002,
      prefixes4: 120,
      prefixes6: 40,
      irrAsSet: "AS-EXAMPLE",
      irrAsSets: ["AS-EXAMPLE"],
      neverViaRouteServers: false,
      policy: "Open",
      policyUrl: "https://www.example.org/peering",
      updated: "2025-02-14T12:30:00.000Z",
      fetchedAt: "2025-04-01T10:00:00.000Z",
    });
    expect(peeringDbNetworkSchema.parse(net)).toEqual(net);
    expect(standIn.requests).toEqual([
      { method: "GET", path: "/api/net?asn=64500", authorization: `Api-Key ${KEY}` },
    ]);
  });

  it("answers null, not an error, for an ASN PeeringDB does not know", async () => {
    await expect(client().getNetwork(64499)).resolves.toBeNull();
  });

  it("answers null for a 404", async () => {
    standIn.setFault({ kind: "status", status: 404 });
    await expect(client().getNetwork(64500)).resolves.toBeNull();
  });

  it("takes the key from the secrets adapter on every lookup, so a rotated key is used", async () => {
    let calls = 0;
    const c = client({ apiKey: async () => (++calls === 1 ? KEY : "rotated-away") });
    await expect(c.getNetwork(64500)).resolves.not.toBeNull();
    const e = await failure(c.getNetwork(64500));
    expect(e.code).toBe("peeringdb_unauthorized");
    expect(calls).toBe(2);
  });

  it("treats zero and absent prefix counts as unknown", async () => {
    const admin = await client().getNetwork(64496);
    expect([admin?.prefixes4, admin?.prefixes6]).toEqual([null, null]);
    const sister = await client().getNetwork(64501);
    expect([sister?.prefixes4, sister?.prefixes6]).toEqual([15, null]);
  });

  it("keeps large prefix counts and normalises a multi-set irr_as_set", async () => {
    const net = await client().getNetwork(64502);
    expect(net?.prefixes4).toBe(950_000);
    expect(net?.prefixes6).toBe(210_000);
    expect(net?.irrAsSet).toBe("AS-LARGE@RADB RIPE::AS-LARGE-EU, ARIN::AS-LARGE-NA AS-LARGE@RADB");
    expect(net?.irrAsSets).toEqual(["RADB::AS-LARGE", "RIPE::AS-LARGE-EU", "ARIN::AS-LARGE-NA"]);
  });

  it("reports a hierarchical set and an aut-num as given", async () => {
    const net = await client().getNetwork(64511);
    expect(net?.irrAsSets).toEqual(["AS64511:AS-CUSTOMERS", "AS64511"]);
  });

  it("gives no as-set as null and an empty list", async () => {
    const net = await client().getNetwork(64496);
    expect(net?.irrAsSet).toBeNull();
    expect(net?.irrAsSets).toEqual([]);
    expect(net?.policyUrl).toBeUndefined();
  });

  it("carries the never-via-route-servers flag", async () => {
    expect((await client().getNetwork(64503))?.neverViaRouteServers).toBe(true);
    expect((await client().getNetwork(64500))?.neverViaRouteServers).toBe(false);
  });

  it("strips control characters and bidi overrides, drops junk as-sets and unsafe links", async () => {
    const net = await client().getNetwork(65536);
    expect(net?.name).toBe("Evil[31m Network ten.elpmaxe Second Line");
    expect(net?.aka).toBe("javascript:alert(1)");
    expect(net?.irrAsSets).toEqual(["AS-GOOD", "RADB::AS65536:AS-CUST"]);
    expect(net?.irrAsSet).not.toMatch(/\u202E/);
    expect(net?.policyUrl).toBeUndefined();
    expect(net?.orgId).toBeUndefined();
  });

  it("reads a record that has only the fields PeeringDB always has", async () => {
    expect(await client().getNetwork(65551)).toEqual({
      asn: 65551,
      name: "Minimal Example",
      prefixes4: null,
      prefixes6: null,
      irrAsSet: null,
      irrAsSets: [],
      neverViaRouteServers: false,
      policy: null,
      updated: "2023-06-30T12:00:00.000Z",
      fetchedAt: "2025-04-01T10:00:00.000Z",
    });
  });

  it("refuses to look up something that is not an ASN, without asking PeeringDB", async () => {
    for (const asn of [0, -1, 1.5, 23456, 4_294_967_295, Number.NaN]) {
      const e = await failure(client().getNetwork(asn));
      expect(e.code).toBe("peeringdb_invalid_asn");
      expect(e.transient).toBe(false);
    }
    expect(standIn.requests).toEqual([]);
  });
});

describe("the organisation name", () => {
  it("is not fetched by default (one request per lookup)", async () => {
    const net = await client().getNetwork(64500);
    expect(net?.orgName).toBeUndefined();
    expect(standIn.requests.map((r) => r.path)).toEqual(["/api/net?asn=64500"]);
  });

  it("is fetched from /api/org/{id} when asked for", async () => {
    const net = await client({ includeOrgName: true }).getNetwork(64500);
    expect(net?.orgName).toBe("Example Holdings");
    expect(standIn.requests.map((r) => r.path)).toEqual(["/api/net?asn=64500", "/api/org/20002"]);
  });

  it("is best-effort: a failing org lookup still gives the network", async () => {
    standIn.setFault({ kind: "status", status: 500, path: /^\/api\/org\// });
    const net = await client({ includeOrgName: true }).getNetwork(64500);
    expect(net?.asn).toBe(64500);
    expect(net?.orgName).toBeUndefined();
  });

  it("is not asked for when the network names no organisation", async () => {
    await client({ includeOrgName: true }).getNetwork(65551);
    expect(standIn.requests.map((r) => r.path)).toEqual(["/api/net?asn=65551"]);
  });
});

describe("failures", () => {
  it("429 is transient and carries Retry-After in seconds", async () => {
    standIn.setFault({ kind: "status", status: 429, retryAfter: "120" });
    const e = await failure(client().getNetwork(64500));
    expect(e.code).toBe("peeringdb_rate_limited");
    expect(e.transient).toBe(true);
    expect(e.retryAfterSeconds).toBe(120);
    expect(e.details).toMatchObject({ status: 429, retryAfterSeconds: 120 });
  });

  it("429 with an HTTP-date Retry-After counts from now", async () => {
    standIn.setFault({ kind: "status", status: 429, retryAfter: "Tue, 01 Apr 2025 10:05:00 GMT" });
    expect((await failure(client().getNetwork(64500))).retryAfterSeconds).toBe(300);
  });

  it("429 without Retry-After is transient with no retryAfterSeconds", async () => {
    standIn.setFault({ kind: "status", status: 429 });
    const e = await failure(client().getNetwork(64500));
    expect(e.transient).toBe(true);
    expect(e.retryAfterSeconds).toBeUndefined();
  });

  it.each([500, 502, 503, 504])("%i is transient", async (status) => {
    standIn.setFault({ kind: "status", status });
    const e = await failure(client().getNetwork(64500));
    expect(e.code).toBe("peeringdb_unavailable");
    expect(e.transient).toBe(true);
    expect(e.details).toMatchObject({ status });
  });

  it("a wrong key is peeringdb_unauthorized and not transient", async () => {
    const e = await failure(client({ apiKey: "wrong-key" }).getNetwork(64500));
    expect(e.code).toBe("peeringdb_unauthorized");
    expect(e.transient).toBe(false);
    expect(e.details).toMatchObject({ status: 401 });
  });

  it("403 is read as a refused key too", async () => {
    standIn.setFault({ kind: "status", status: 403 });
    const e = await failure(client().getNetwork(64500));
    expect([e.code, e.transient]).toEqual(["peeringdb_unauthorized", false]);
  });

  it("an empty or header-breaking key is refused before anything is sent", async () => {
    for (const apiKey of ["", "two words", "key\r\nX-Evil: 1"]) {
      const e = await failure(client({ apiKey }).getNetwork(64500));
      expect([e.code, e.transient]).toEqual(["peeringdb_unauthorized", false]);
    }
    expect(standIn.requests).toEqual([]);
  });

  it("a secrets adapter that fails is peeringdb_api_key_unavailable, transient", async () => {
    const e = await failure(
      client({
        apiKey: async () => {
          throw new Error("secrets store unreachable");
        },
      }).getNetwork(64500),
    );
    expect([e.code, e.transient]).toEqual(["peeringdb_api_key_unavailable", true]);
  });

  it("a server that never answers is a transient timeout within the configured time", async () => {
    standIn.setFault({ kind: "stall" });
    const started = performance.now();
    const e = await failure(client({ timeoutMs: 300 }).getNetwork(64500));
    const took = performance.now() - started;
    expect([e.code, e.transient]).toEqual(["peeringdb_timeout", true]);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2_000);
  });

  it("a body that stops halfway is a transient timeout too", async () => {
    standIn.setFault({ kind: "stall-body" });
    const e = await failure(client({ timeoutMs: 300 }).getNetwork(64500));
    expect([e.code, e.transient]).toEqual(["peeringdb_timeout", true]);
  });

  it("a dropped connection is transient peeringdb_unreachable", async () => {
    standIn.setFault({ kind: "reset" });
    const e = await failure(client().getNetwork(64500));
    expect([e.code, e.transient]).toEqual(["peeringdb_unreachable", true]);
  });

  it("nothing listening is transient peeringdb_unreachable", async () => {
    const gone = await startPeeringDbStandIn({ apiKey: KEY });
    await gone.stop();
    const e = await failure(client({ baseUrl: gone.url }).getNetwork(64500));
    expect([e.code, e.transient]).toEqual(["peeringdb_unreachable", true]);
  });

  it("an oversized body is refused while streaming (no Content-Length)", async () => {
    standIn.setFault({ kind: "oversized", bytes: 2 * 1024 * 1024 });
    const e = await failure(client({ maxResponseBytes: 64 * 1024 }).getNetwork(64500));
    expect([e.code, e.transient]).toEqual(["peeringdb_bad_response", false]);
    expect(e.details).toMatchObject({ reason: "too_large" });
  });

  it("an oversized body is refused up front when its Content-Length says so", async () => {
    standIn.setFault({ kind: "oversized", bytes: 300 * 1024, declareLength: true });
    const e = await failure(client().getNetwork(64500));
    expect(e.code).toBe("peeringdb_bad_response");
    expect(e.details).toMatchObject({ reason: "too_large", maxBytes: 256 * 1024 });
  });

  it.each([
    ["not JSON", "<html>Bad gateway</html>"],
    ["not UTF-8", Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ["no data list", '{"meta": {}}'],
    [
      "a net with a string prefix count",
      '{"data": [{"asn": 64500, "name": "X", "info_prefixes4": "many", "updated": "2025-01-01T00:00:00Z"}]}',
    ],
    ["a net with no updated time", '{"data": [{"asn": 64500, "name": "X"}]}'],
    [
      "a net with an out-of-range ASN",
      '{"data": [{"asn": 4294967296, "name": "X", "updated": "2025-01-01T00:00:00Z"}]}',
    ],
    [
      "a net with a huge name",
      JSON.stringify({ data: [{ asn: 64500, name: "x".repeat(5000), updated: "2025-01-01T00:00:00Z" }] }),
    ],
    [
      "another ASN than the one asked for",
      '{"data": [{"asn": 64501, "name": "X", "updated": "2025-01-01T00:00:00Z"}]}',
    ],
    [
      "two networks for one ASN",
      JSON.stringify({
        data: [
          { asn: 64500, name: "A", updated: "2025-01-01T00:00:00Z" },
          { asn: 64500, name: "B", updated: "2025-01-01T00:00:00Z" },
        ],
      }),
    ],
  ])("a malformed answer (%s) is peeringdb_bad_response, not transient", async (_what, body) => {
    standIn.setFault({ kind: "body", body });
    const e = await failure(client().getNetwork(64500));
    expect([e.code, e.transient]).toEqual(["peeringdb_bad_response", false]);
  });

  it("an unexpected status (a redirect, a 400) is peeringdb_bad_response, and a redirect is not followed", async () => {
    standIn.setFault({ kind: "status", status: 302, count: 1 });
    const e = await failure(client().getNetwork(64500));
    expect([e.code, e.transient, e.details["status"]]).toEqual(["peeringdb_bad_response", false, 302]);
    expect(standIn.requests).toHaveLength(1);
    standIn.setFault({ kind: "status", status: 400 });
    expect((await failure(client().getNetwork(64500))).code).toBe("peeringdb_bad_response");
  });

  it("a record that is not live is not in PeeringDB", async () => {
    standIn.setFault({
      kind: "body",
      body: '{"data": [{"asn": 64500, "name": "Gone", "status": "deleted", "updated": "2025-01-01T00:00:00Z"}]}',
    });
    await expect(client().getNetwork(64500)).resolves.toBeNull();
  });

  it("a fault with a count clears by itself", async () => {
    standIn.setFault({ kind: "status", status: 503, count: 1 });
    await failure(client().getNetwork(64500));
    await expect(client().getNetwork(64500)).resolves.not.toBeNull();
  });

  it("errors are AppErrors with an HTTP status for the API to map", async () => {
    standIn.setFault({ kind: "status", status: 503 });
    const e = await failure(client().getNetwork(64500));
    expect(e).toBeInstanceOf(PeeringDbError);
    expect(e.status).toBe(503);
    expect(e.toJSON().error.code).toBe("peeringdb_unavailable");
  });
});

describe("configuration", () => {
  it("refuses plain http to another machine (the key would travel in clear text)", () => {
    expect(() => createPeeringDbClient({ baseUrl: "http://peeringdb.example.net", apiKey: KEY })).toThrow(
      expect.objectContaining({ code: "peeringdb_config_invalid", transient: false }),
    );
  });

  it("accepts https and a base path", () => {
    expect(() =>
      createPeeringDbClient({ baseUrl: "https://pdb.example.net/mirror", apiKey: KEY }),
    ).not.toThrow();
    expect(() => createPeeringDbClient({ apiKey: KEY })).not.toThrow();
  });
});

describe("parseRetryAfter", () => {
  const now = new Date("2025-04-01T10:00:00Z");
  it.each([
    ["60", 60],
    [" 0 ", 0],
    ["Tue, 01 Apr 2025 10:01:30 GMT", 90],
    ["Tue, 01 Apr 2025 09:00:00 GMT", 0],
    ["999999", 86_400],
    ["-5", undefined],
    ["soon", undefined],
    ["1.5", undefined],
    [null, undefined],
  ])("%j → %j", (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds);
  });
});

describe("listing the networks that never peer via route servers", () => {
  it("asks once for ASNs only and returns the flagged ones, ascending", async () => {
    const asns = await client().listNeverViaRouteServers();
    expect(asns).toEqual([64503]);
    expect(standIn.requests.map((r) => r.path)).toEqual([
      "/api/net?info_never_via_route_servers=1&fields=asn",
    ]);
  });

  it("refuses an answer that is not a list of ASNs", async () => {
    standIn.setFault({ kind: "body", body: JSON.stringify({ data: [{ asn: "x" }] }) });
    const e = await failure(client().listNeverViaRouteServers());
    expect(e.code).toBe("peeringdb_bad_response");
    expect(e.transient).toBe(false);
  });

  it("reports a throttle as transient, with PeeringDB's Retry-After", async () => {
    standIn.setFault({ kind: "status", status: 429, retryAfter: "120" });
    const e = await failure(client().listNeverViaRouteServers());
    expect(e.code).toBe("peeringdb_rate_limited");
    expect(e.transient).toBe(true);
    expect(e.retryAfterSeconds).toBe(120);
  });
});
