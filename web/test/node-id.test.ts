import { nodeIdInputSchema } from "@ztix/core";
import { describe, expect, it } from "vitest";
import { nodeIdInputSchema as apiNodeIdInputSchema } from "../../functions/api/src/schemas/requests.ts";
import { nodeIdProblem, normaliseNodeId } from "../src/lib/node-id.ts";

const samples = [
  "89e92ceee5",
  "0000000001",
  "ff12345678",
  "FF12345678",
  "89E92CEEE5",
  "A1B2C3D4E5",
  "89e92cee",
  "89e92ceee5a",
  "A1B2C3D4E5F",
  "89e92ceeeg",
  "",
  " 89e92ceee5",
  "fe12345678",
  "0000000000",
  "200 info 89E92CEEE5 1.14.1 ONLINE",
  "200 info a1b2c3d4e5 1.14.1 ONLINE",
];

describe("the onboarding form's node id check", () => {
  it("is the schema the API reads request bodies with", () => {
    expect(apiNodeIdInputSchema).toBe(nodeIdInputSchema);
  });

  it.each(samples)("agrees with the API's node id input on %j", (value) => {
    expect(nodeIdProblem(value) === null).toBe(nodeIdInputSchema.safeParse(value).success);
    if (nodeIdProblem(value) === null) expect(normaliseNodeId(value)).toBe(nodeIdInputSchema.parse(value));
  });

  it("lower-cases an upper-case id and reduces a pasted `zerotier-cli info` line", () => {
    expect(nodeIdProblem("A1B2C3D4E5")).toBeNull();
    expect(normaliseNodeId("A1B2C3D4E5")).toBe("a1b2c3d4e5");
    expect(nodeIdProblem("200 info a1b2c3d4e5 1.14.1 ONLINE")).toBeNull();
    expect(normaliseNodeId("200 info a1b2c3d4e5 1.14.1 ONLINE")).toBe("a1b2c3d4e5");
    expect(normaliseNodeId("200 info 89e92ceee5 1.14.2 ONLINE")).toBe("89e92ceee5");
    expect(normaliseNodeId("  89e92ceee5 ")).toBe("89e92ceee5");
  });

  it("tells the length, not the case, of an id with a digit too many or too few", () => {
    expect(nodeIdProblem("89e92c")).toBe("Too short: 6 of 10 hex digits.");
    expect(nodeIdProblem("a1b2c3d4e5f")).toBe("Too long: 11 hex digits; a node id has 10.");
    expect(nodeIdProblem("A1B2C3D4E5F")).toBe("Too long: 11 hex digits; a node id has 10.");
  });

  it("refuses the reserved ids: zero and the ff prefix", () => {
    expect(nodeIdProblem("0000000000")).toMatch(/reserved/);
    expect(nodeIdProblem("ff12345678")).toMatch(/reserved/);
    expect(nodeIdProblem("FF12345678")).toMatch(/reserved/);
  });
});
