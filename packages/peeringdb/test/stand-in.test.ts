import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_NETWORKS, type PeeringDbStandIn, startPeeringDbStandIn } from "../src/stand-in.ts";

const KEY = "stand-in-key";
let standIn: PeeringDbStandIn;
const get = (path: string, key: string | null = KEY) =>
  fetch(new URL(path, standIn.url), { headers: key === null ? {} : { authorization: `Api-Key ${key}` } });

beforeAll(async () => {
  standIn = await startPeeringDbStandIn({ apiKey: KEY });
});
afterAll(async () => {
  await standIn.stop();
});

describe("the PeeringDB stand-in", () => {
  it("listens on a free port of this machine", () => {
    expect(standIn.url).toBe(`http://127.0.0.1:${standIn.port}`);
    expect(standIn.port).toBeGreaterThan(0);
  });

  it("answers 401 with a challenge without a key or with a wrong one", async () => {
    for (const key of [null, "wrong"]) {
      const res = await get("/api/net?asn=64500", key);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Api-Key");
      expect(await res.json()).toEqual({ meta: { error: "Invalid API key" } });
    }
  });

  it("serves net objects by ASN in PeeringDB's envelope, an empty list for an unknown ASN", async () => {
    const res = await get("/api/net?asn=64511");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { asn: number }[]; meta: object };
    expect(body.data.map((n) => n.asn)).toEqual([64511]);
    expect(body.meta).toEqual({});
    expect(await (await get("/api/net?asn=64499")).json()).toEqual({ data: [], meta: {} });
  });

  it("serves the dev stack's demo ASNs and only documentation ASNs", () => {
    const asns = DEMO_NETWORKS.map((n) => n.asn);
    expect(asns).toEqual(expect.arrayContaining([64496, 64500, 64501, 64511]));
    for (const asn of asns)
      expect((asn >= 64496 && asn <= 64511) || (asn >= 65536 && asn <= 65551)).toBe(true);
  });

  it("serves organisations by id and 404s unknown ones", async () => {
    expect(await (await get("/api/org/20002")).json()).toMatchObject({
      data: [{ id: 20002, name: "Example Holdings" }],
    });
    expect((await get("/api/org/1")).status).toBe(404);
  });

  it("refuses a non-numeric ASN filter and other methods", async () => {
    expect((await get("/api/net?asn=AS64500")).status).toBe(400);
    const post = await fetch(new URL("/api/net", standIn.url), {
      method: "POST",
      headers: { authorization: `Api-Key ${KEY}` },
    });
    expect(post.status).toBe(405);
  });

  it("plays a scripted 429 with Retry-After, limited to a path and a count", async () => {
    standIn.setFault({ kind: "status", status: 429, retryAfter: "30", path: /^\/api\/net/, count: 1 });
    expect((await get("/api/org/20002")).status).toBe(200);
    const throttled = await get("/api/net?asn=64500");
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("30");
    expect((await get("/api/net?asn=64500")).status).toBe(200);
  });

  it("stops even while an answer is stalled", async () => {
    const other = await startPeeringDbStandIn({ apiKey: KEY });
    other.setFault({ kind: "stall" });
    const pending = fetch(new URL("/api/net?asn=64500", other.url)).catch((e: unknown) => e);
    while (other.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    await other.stop();
    expect(await pending).toBeInstanceOf(TypeError);
  });
});
