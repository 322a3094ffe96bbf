import { describe, expect, it } from "vitest";
import { asnProblem, asnSchema, networkIdSchema, networkSuffixSchema, nodeIdSchema } from "../src/ids.ts";

describe("ASN", () => {
  it.each([0, 23456, 65535, 4294967295, -1, 1.5, 4294967296])("rejects %s", (asn) => {
    expect(asnProblem(asn)).not.toBeNull();
  });

  it("rejects documentation and private ASNs unless the policy allows them", () => {
    expect(asnProblem(64500)).toMatch(/documentation/);
    expect(asnProblem(65551)).toMatch(/documentation/);
    expect(asnProblem(64512)).toMatch(/private/);
    expect(asnProblem(4200000000)).toMatch(/private/);
    expect(asnProblem(64500, { allowDocumentation: true, allowPrivate: false })).toBeNull();
    expect(asnProblem(64512, { allowDocumentation: false, allowPrivate: true })).toBeNull();
  });

  it("accepts public ASNs as numbers, strings or AS-prefixed strings", () => {
    const schema = asnSchema();
    expect(schema.parse(13335)).toBe(13335);
    expect(schema.parse("13335")).toBe(13335);
    expect(schema.parse("AS13335")).toBe(13335);
    expect(schema.safeParse("AS").success).toBe(false);
    expect(schema.safeParse(true).success).toBe(false);
  });
});

describe("ZeroTier identifiers", () => {
  it("accepts a 10-hex lower-case node id", () => {
    expect(nodeIdSchema.safeParse("a1b2c3d4e5").success).toBe(true);
  });

  it.each(["A1B2C3D4E5", "a1b2c3d4e", "a1b2c3d4e5f", "ffb2c3d4e5", "g1b2c3d4e5", ""])(
    "rejects node id %j",
    (id) => {
      expect(nodeIdSchema.safeParse(id).success).toBe(false);
    },
  );

  it("checks network ids and suffixes", () => {
    expect(networkIdSchema.safeParse("8056c2e21c000001").success).toBe(true);
    expect(networkIdSchema.safeParse("8056c2e21c00001").success).toBe(false);
    expect(networkSuffixSchema.safeParse("000001").success).toBe(true);
    expect(networkSuffixSchema.safeParse("00000G").success).toBe(false);
  });
});
