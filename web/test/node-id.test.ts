import { describe, expect, it } from "vitest";
import { nodeIdInputSchema } from "../../functions/api/src/schemas/requests.ts";
import { nodeIdProblem, normaliseNodeId } from "../src/lib/node-id.ts";

const samples = [
  "89e92ceee5",
  "0000000001",
  "ff12345678",
  "FF12345678",
  "89E92CEEE5",
  "89e92cee",
  "89e92ceee5a",
  "89e92ceeeg",
  "",
  " 89e92ceee5",
  "fe12345678",
  "0000000000",
  "200 info 89E92CEEE5 1.14.1 ONLINE",
];

describe("the onboarding form's node id check", () => {
  it.each(samples)("agrees with the API's node id input on %j", (value) => {
    expect(nodeIdProblem(value) === null).toBe(nodeIdInputSchema.safeParse(value).success);
    if (nodeIdProblem(value) === null) expect(normaliseNodeId(value)).toBe(nodeIdInputSchema.parse(value));
  });

  it("says how many digits are missing when the id is too short", () => {
    expect(nodeIdProblem("89e92c")).toBe("Too short: 6 of 10 hex digits.");
  });

  it("reduces a pasted `zerotier-cli info` line to the node id", () => {
    expect(normaliseNodeId("200 info 89e92ceee5 1.14.2 ONLINE")).toBe("89e92ceee5");
    expect(normaliseNodeId("  89e92ceee5 ")).toBe("89e92ceee5");
    expect(normaliseNodeId("89E92CEEE5")).toBe("89e92ceee5");
  });
});
