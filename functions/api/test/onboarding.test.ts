import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import {
  type Actors,
  actors,
  INACTIVE_NETWORK_ID,
  newRequestBody,
  nextAsn,
  OTHER_NETWORK_ID,
  seedNetworks,
  TEST_NETWORK_ID,
} from "./helpers/workflow.ts";

let stack: TestStack;
let world: Actors;

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  world = actors(stack);
});

describe("GET /api/v1/onboarding/context", () => {
  it("lists the user's ASNs with names, the networks they may join and their open requests", async () => {
    const { client, asns } = await world.operator({ asns: [nextAsn(), nextAsn()] });
    const open = await client.post("/api/v1/requests", newRequestBody(asns[0]!));
    const gone = await client.post("/api/v1/requests", newRequestBody(asns[1]!));
    await client.post(`/api/v1/requests/${gone.body.request.request_id}/cancel`);
    const res = await client.get("/api/v1/onboarding/context");
    expect(res.status).toBe(200);
    expect(res.body.asns).toEqual(asns.map((asn) => ({ asn, name: `Net ${asn}` })));
    expect(res.body.networks.map((n: { zt_network_id: string }) => n.zt_network_id).sort()).toEqual(
      [TEST_NETWORK_ID, OTHER_NETWORK_ID].sort(),
    );
    expect(res.body.open_requests.map((r: { request_id: string }) => r.request_id)).toEqual([
      open.body.request.request_id,
    ]);
  });

  it("narrows the networks to the user's access rows", async () => {
    const { client } = await world.operator({ networks: [OTHER_NETWORK_ID, INACTIVE_NETWORK_ID] });
    const res = await client.get("/api/v1/onboarding/context");
    expect(res.body.networks).toEqual([
      { zt_network_id: OTHER_NETWORK_ID, name: "ZT-IX Lab", description: null },
    ]);
  });

  it("answers 401 when signed out", async () => {
    expect((await world.app.client().get("/api/v1/onboarding/context")).status).toBe(401);
  });
});

describe("GET /api/v1/onboarding/context with nothing to offer", () => {
  it("answers empty lists for a user with no ASNs whose only network is retired, though others have open requests", async () => {
    const other = await world.operator({ asns: [nextAsn()] });
    const open = await other.client.post("/api/v1/requests", newRequestBody(other.asns[0]!));
    expect(open.status).toBe(201);
    const { client } = await world.operator({ asns: [], networks: [INACTIVE_NETWORK_ID] });
    const res = await client.get("/api/v1/onboarding/context");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ asns: [], networks: [], open_requests: [] });
  });
});
