import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { assertCommitted, isConditionFailure, TransientDataError } from "../src/conditions.ts";
import { createRequest, getRequest } from "../src/requests.ts";

const NETWORK = "8056c2e21c000001";
let stack: TestStack;

beforeAll(async () => {
  stack = await testStack();
});

/** What a promise rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("telling a failed condition from a transaction DynamoDB refused for now", () => {
  it("reads a failed condition of a single write as a condition failure", async () => {
    await stack.data.entities.lease.create({ name: "cond-1", owner: "a", expiresAt: 1 }).go();
    const e = await rejection(
      stack.data.entities.lease.create({ name: "cond-1", owner: "b", expiresAt: 2 }).go(),
    );
    expect(isConditionFailure(e)).toBe(true);
  });

  it("reads a transaction cancelled by one of its conditions as a condition failure (DynamoDB Local)", async () => {
    await stack.data.entities.lease.create({ name: "cond-2", owner: "a", expiresAt: 1 }).go();
    const result = await stack.data.transaction
      .write(({ lease }) => [lease.create({ name: "cond-2", owner: "b", expiresAt: 2 }).commit()])
      .go();
    expect(result.canceled).toBe(true);
    const e = (() => {
      try {
        assertCommitted(result as never);
      } catch (err) {
        return err;
      }
      throw new Error("expected assertCommitted to throw");
    })();
    expect(isConditionFailure(e)).toBe(true);
    expect(e).not.toBeInstanceOf(TransientDataError);
  });

  // A conflict between two transactions cannot be provoked on demand; these are the shapes
  // DynamoDB answers with, as ElectroDB hands them over.
  it("reads a conflict or a throttle as transient, never as a failed condition", () => {
    for (const codes of [
      ["TransactionConflict", "None"],
      ["ThrottlingError"],
      ["None", "ProvisionedThroughputExceeded"],
    ]) {
      let thrown: unknown;
      try {
        assertCommitted({ canceled: true, data: codes.map((code) => ({ code })) });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TransientDataError);
      expect(isConditionFailure(thrown)).toBe(false);
    }
    const sdkError = Object.assign(
      new Error(
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]",
      ),
      {
        name: "TransactionCanceledException",
      },
    );
    expect(isConditionFailure(sdkError)).toBe(false);
  });

  it("passes a committed transaction through", () => {
    expect(() => assertCommitted({ canceled: false })).not.toThrow();
  });
});

describe("a request approved by policy at creation", () => {
  it("is created approved in one transaction: never a pending request that nothing approves", async () => {
    stack.calls.reset();
    const request = await createRequest(
      stack.data,
      { userId: "u1", asn: 64500, networkId: NETWORK, nodeId: "1a2b3c4d5e" },
      { actorType: "user", actorId: "u1" },
      new Date(),
      { actorType: "system", actorId: "policy", message: "approved by policy" },
    );
    expect(request.status).toBe("approved");
    // One write in all: the request, its slot and both audit events commit or fail together.
    expect(stack.calls.snapshot().byCommand).toEqual({ TransactWriteItemsCommand: 1 });
    const stored = await getRequest(stack.data, request.requestId);
    expect(stored?.status).toBe("approved");
    const trail = await stack.data.entities.auditEvent.query
      .bySubject({ subject: `request#${request.requestId}` })
      .go();
    expect(trail.data.map((e) => e.action).sort()).toEqual(["request.approve", "request.created"]);
  });
});
