import { getRequest, transitionRequest } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../../../test/support/api.ts";
import { TEST_ORIGIN } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import {
  type Actors,
  actors,
  nextNodeId,
  queueDepth,
  seedNetworks,
  TEST_NETWORK_ID,
} from "./helpers/workflow.ts";

/**
 * Every write route against a table of malformed bodies: each must get a 4xx with the error
 * envelope, and nothing may be written (no DynamoDB write command, the target unchanged,
 * no job queued).
 */

interface BadCase {
  name: string;
  /** Raw body text; undefined sends no body. */
  body?: string;
  /** Content type; null sends none. Defaults to application/json. */
  type?: string | null;
  /** Expected status when it must be exact. */
  status?: number;
}

const json = (v: unknown) => JSON.stringify(v);
const bytes = (n: number) => json({ pad: "x".repeat(n) });

/** Malformed for any JSON route, whatever its fields. */
const generic: BadCase[] = [
  { name: "an unterminated object", body: "{", status: 400 },
  { name: "a missing value", body: '{"a": }', status: 400 },
  { name: "a trailing comma", body: '{"a":1,}', status: 400 },
  { name: "single-quoted JSON", body: "{'a':1}", status: 400 },
  { name: "bare words", body: "hello", status: 400 },
  { name: "an empty body labelled JSON", body: "", status: 400 },
  { name: "only whitespace", body: "   \n ", status: 400 },
  { name: "a lone byte-order mark", body: "\uFEFF", status: 400 },
  { name: "two JSON documents", body: "{}{}", status: 400 },
  { name: "NUL bytes", body: "\u0000\u0000", status: 400 },
  { name: "JSON null", body: "null", status: 400 },
  { name: "an array", body: "[]", status: 400 },
  { name: "an array of objects", body: "[{}]", status: 400 },
  { name: "a string", body: '"approve"', status: 400 },
  { name: "a number", body: "42", status: 400 },
  { name: "a boolean", body: "true", status: 400 },
  { name: "deeply nested arrays", body: `${"[".repeat(5000)}${"]".repeat(5000)}`, status: 400 },
  { name: "a huge number", body: "1e400", status: 400 },
  { name: "an unknown field", body: json({ surprise: 1 }), status: 400 },
  { name: "a __proto__ field", body: '{"__proto__": {"isAdmin": true}}', status: 400 },
  { name: "a constructor field", body: json({ constructor: { prototype: {} } }), status: 400 },
  { name: "a status field", body: json({ status: "approved" }), status: 400 },
  { name: "text/plain", body: json({}), type: "text/plain", status: 415 },
  { name: "a form", body: "a=1&b=2", type: "application/x-www-form-urlencoded", status: 415 },
  { name: "multipart", body: "--x\r\n\r\n--x--", type: "multipart/form-data; boundary=x", status: 415 },
  { name: "application/jsonp", body: json({}), type: "application/jsonp", status: 415 },
  { name: "XML", body: "<a/>", type: "application/xml", status: 415 },
  { name: "a body without a content type", body: json({}), type: null, status: 415 },
  { name: "a body just over the cap", body: bytes(16 * 1024), status: 413 },
  { name: "a body of a megabyte", body: bytes(1024 * 1024), status: 413 },
];

const base = () => ({ asn: 0, zt_network_id: TEST_NETWORK_ID, node_id: nextNodeId() });
type Fields = Record<string, unknown>;
/** A create body with `change` applied (a field set to undefined is dropped). */
function createBody(asn: number, change: Fields): string {
  const body: Fields = { ...base(), asn, ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete body[k];
  return json(body);
}

/** POST /requests: each field wrong in its own way (every one still well-formed JSON). */
const createCases = (asn: number): BadCase[] => [
  ...[
    ["no asn", { asn: undefined }],
    ["no network", { zt_network_id: undefined }],
    ["no node", { node_id: undefined }],
    ["asn null", { asn: null }],
    ["asn empty", { asn: "" }],
    ["asn words", { asn: "sixty-four" }],
    ["asn AS only", { asn: "AS" }],
    ["asn negative", { asn: -1 }],
    ["asn zero", { asn: 0 }],
    ["asn fractional", { asn: asn + 0.5 }],
    ["asn past 32 bits", { asn: 4294967296 }],
    ["asn huge", { asn: 1e300 }],
    ["asn 21 digits", { asn: "999999999999999999999" }],
    ["asn AS_TRANS", { asn: 23456 }],
    ["asn reserved 65535", { asn: 65535 }],
    ["asn array", { asn: [asn] }],
    ["asn object", { asn: { value: asn } }],
    ["asn boolean", { asn: true }],
    ["asn not held", { asn: asn + 1 }],
    ["network short", { zt_network_id: "8056c2e21c" }],
    ["network upper case", { zt_network_id: TEST_NETWORK_ID.toUpperCase() }],
    ["network number", { zt_network_id: 8056 }],
    ["network null", { zt_network_id: null }],
    ["network not configured", { zt_network_id: "0123456789abcdef" }],
    ["node empty", { node_id: "" }],
    ["node not hex", { node_id: "zzzzzzzzzz" }],
    ["node 9 digits", { node_id: "123456789" }],
    ["node 11 digits", { node_id: "12345678901" }],
    ["node reserved ff", { node_id: "ff12345678" }],
    ["node reserved address 0", { node_id: "0000000000" }],
    ["node number", { node_id: 1234567890 }],
    ["node null", { node_id: null }],
    ["node array", { node_id: ["1234567890"] }],
    ["node with a space inside", { node_id: "12345 67890" }],
    ["node too long to be pasted", { node_id: "a".repeat(201) }],
    ["notes too long", { notes: "n".repeat(1001) }],
    ["notes a number", { notes: 5 }],
    ["notes null", { notes: null }],
    ["notes an object", { notes: { a: 1 } }],
    ["notes with a bell", { notes: "hi\u0007" }],
    ["an extra user_id", { user_id: "someone-else" }],
    ["an extra attempt", { attempt: 3 }],
  ].map(([name, change]) => ({ name: name as string, body: createBody(asn, change as Fields) })),
];

/** POST /admin/requests/{id}/reject: `reason` missing or wrong. */
const rejectCases: BadCase[] = [
  ["no reason", {}],
  ["reason null", { reason: null }],
  ["reason empty", { reason: "" }],
  ["reason blank", { reason: "   \n\t" }],
  ["reason too long", { reason: "r".repeat(1001) }],
  ["reason a number", { reason: 42 }],
  ["reason an array", { reason: ["no"] }],
  ["reason an object", { reason: { text: "no" } }],
  ["reason a boolean", { reason: false }],
  ["reason with an escape sequence", { reason: "no\u001b[2J" }],
  ["reason plus an unknown field", { reason: "no", status: "approved" }],
  ["reason under another name", { reasons: "no" }],
].map(([name, body]) => ({ name: name as string, body: json(body), status: 400 }));

/** Approve, retry and cancel take no fields: any field is unknown. */
const emptyBodyCases: BadCase[] = [
  ["a reason", { reason: "because" }],
  ["an attempt", { attempt: 9 }],
  ["an empty key", { "": null }],
  ["a nested object", { options: { force: true } }],
].map(([name, body]) => ({ name: name as string, body: json(body), status: 400 }));

const writeCommands = [
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "TransactWriteItemsCommand",
  "BatchWriteItemCommand",
];

let stack: TestStack;
let world: Actors;

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
  world = actors(stack);
});

async function send(client: ApiClient, path: string, c: BadCase) {
  const headers: Record<string, string> = {
    origin: TEST_ORIGIN,
    "x-csrf-token": client.cookies.get("ztix_csrf")!,
  };
  const type = c.type === undefined ? "application/json" : c.type;
  if (type !== null) headers["content-type"] = type;
  return client.raw(path, { method: "POST", headers, body: c.body });
}

/** Runs every case against `path`, asserting a 4xx envelope and no write of any kind. */
async function expectAllRefused(
  client: ApiClient,
  path: string,
  cases: BadCase[],
  unchanged: () => Promise<unknown>,
) {
  expect(cases.length).toBeGreaterThanOrEqual(30);
  const before = await unchanged();
  const depth = await queueDepth(stack.sqs, stack.queueUrl);
  for (const c of cases) {
    stack.calls.reset();
    const res = await send(client, path, c);
    const label = `${path} with ${c.name}`;
    expect(res.status, label).toBeGreaterThanOrEqual(400);
    expect(res.status, label).toBeLessThan(500);
    if (c.status) expect(res.status, label).toBe(c.status);
    expect(res.body?.error?.code, label).toEqual(expect.any(String));
    const writes = writeCommands.filter((w) => stack.calls.count.byCommand[w]);
    expect(writes, label).toEqual([]);
  }
  expect(await unchanged()).toEqual(before);
  expect(await queueDepth(stack.sqs, stack.queueUrl)).toBe(depth);
}

/** What a refused write must leave as it was: the request and its audit trail. */
async function snapshot(id: string) {
  const request = await getRequest(stack.data, id);
  const trail = await stack.data.entities.auditEvent.query.bySubject({ subject: `request#${id}` }).go();
  return { request, events: trail.data.length };
}

async function pendingRequest(client: ApiClient, asn: number) {
  const res = await client.post("/api/v1/requests", JSON.parse(createBody(asn, {})));
  expect(res.status).toBe(201);
  return res.body.request.request_id as string;
}

describe("malformed bodies on every write route", () => {
  it("POST /requests refuses each and creates nothing", async () => {
    const { client, asns, userId } = await world.operator();
    const mine = async () =>
      (await stack.data.entities.joinRequest.query.byUser({ userId }).go()).data.length;
    await expectAllRefused(client, "/api/v1/requests", [...generic, ...createCases(asns[0]!)], mine);
    expect(await mine()).toBe(0);
  });

  it("POST /requests/{id}/cancel refuses each and leaves the request pending", async () => {
    const { client, asns } = await world.operator();
    const id = await pendingRequest(client, asns[0]!);
    await expectAllRefused(client, `/api/v1/requests/${id}/cancel`, [...generic, ...emptyBodyCases], () =>
      snapshot(id),
    );
    expect((await getRequest(stack.data, id))!.status).toBe("pending");
  });

  it("POST /admin/requests/{id}/approve refuses each, leaves the request pending and queues nothing", async () => {
    const { client, asns } = await world.operator();
    const id = await pendingRequest(client, asns[0]!);
    const admin = await world.admin();
    await expectAllRefused(
      admin,
      `/api/v1/admin/requests/${id}/approve`,
      [...generic, ...emptyBodyCases],
      () => snapshot(id),
    );
    expect((await getRequest(stack.data, id))!.status).toBe("pending");
  });

  it("POST /admin/requests/{id}/reject refuses each and leaves the request pending", async () => {
    const { client, asns } = await world.operator();
    const id = await pendingRequest(client, asns[0]!);
    const admin = await world.admin();
    await expectAllRefused(admin, `/api/v1/admin/requests/${id}/reject`, [...generic, ...rejectCases], () =>
      snapshot(id),
    );
    expect((await getRequest(stack.data, id))!.status).toBe("pending");
  });

  it("POST /admin/requests/{id}/retry refuses each and leaves the failed request failed", async () => {
    const { client, asns } = await world.operator();
    const id = await pendingRequest(client, asns[0]!);
    const audit = { actorType: "system" as const, actorId: "test" };
    const approved = await transitionRequest(stack.data, (await getRequest(stack.data, id))!, "approve", {
      set: { attempt: 1 },
      audit,
    });
    await transitionRequest(stack.data, approved, "fail", { audit });
    const admin = await world.admin();
    await expectAllRefused(admin, `/api/v1/admin/requests/${id}/retry`, [...generic, ...emptyBodyCases], () =>
      snapshot(id),
    );
    expect((await getRequest(stack.data, id))!.status).toBe("failed");
  });

  it("accepts an empty JSON object or no body at all on the no-field actions", async () => {
    const { client, asns } = await world.operator();
    const a = await pendingRequest(client, asns[0]!);
    const b = await pendingRequest(client, asns[0]!);
    expect((await client.post(`/api/v1/requests/${a}/cancel`, {})).status).toBe(200);
    expect((await client.post(`/api/v1/requests/${b}/cancel`)).status).toBe(200);
  });

  it("refuses node id 0000000000 (ZeroTier's reserved address 0) saying why", async () => {
    const { client, asns } = await world.operator();
    const res = await client.post(
      "/api/v1/requests",
      JSON.parse(createBody(asns[0]!, { node_id: "0000000000" })),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.details.fields.node_id).toEqual([
      "0000000000 is reserved in ZeroTier and is never a node's id",
    ]);
    // Address 1 is an ordinary node id.
    const one = await client.post(
      "/api/v1/requests",
      JSON.parse(createBody(asns[0]!, { node_id: "0000000001" })),
    );
    expect(one.status).toBe(201);
  });

  it("reads a node id as people paste it: any case, blanks around it, or the zerotier-cli info line", async () => {
    const { client, asns } = await world.operator();
    const cases: [string, string][] = [
      ["A1B2C3D4E5", "a1b2c3d4e5"],
      ["  a1b2c3d4e6\n", "a1b2c3d4e6"],
      ["200 info A1B2C3D4E7 1.14.1 ONLINE", "a1b2c3d4e7"],
    ];
    for (const [typed, stored] of cases) {
      const res = await client.post("/api/v1/requests", JSON.parse(createBody(asns[0]!, { node_id: typed })));
      expect({ typed, status: res.status, node: res.body.request?.node_id }).toEqual({
        typed,
        status: 201,
        node: stored,
      });
    }
  });

  it("says what is wrong with a node id: its length, or a character that is not hex", async () => {
    const { client, asns } = await world.operator();
    const eleven = await client.post(
      "/api/v1/requests",
      JSON.parse(createBody(asns[0]!, { node_id: "12345678901" })),
    );
    expect(eleven.body.error.details.fields.node_id).toEqual(["must be 10 hex digits, not 11"]);
    const letters = await client.post(
      "/api/v1/requests",
      JSON.parse(createBody(asns[0]!, { node_id: "12345678zz" })),
    );
    expect(letters.body.error.details.fields.node_id).toEqual(["only hex digits (0-9, a-f)"]);
  });

  it("refuses writes without the CSRF header before reading the body", async () => {
    const { client, asns } = await world.operator();
    const res = await client.raw("/api/v1/requests", {
      method: "POST",
      headers: { origin: TEST_ORIGIN, "content-type": "application/json" },
      body: createBody(asns[0]!, {}),
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("csrf_failed");
  });
});
