import { describe, expect, it } from "vitest";
import {
  ASN_RANGE_MESSAGE,
  asnProblem,
  asnSchema,
  networkIdSchema,
  networkSuffixSchema,
  nodeIdInputSchema,
  nodeIdSchema,
} from "../src/ids.ts";

const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
  r.error?.issues.map((i) => i.message) ?? [];

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

  it.each([
    "99999999999",
    "AS99999999999",
    "4294967296",
    "0",
    "000",
    "123456789012345678901234",
    0,
    4294967296,
  ])("tells %j the range, not the format", (value) => {
    expect(messages(asnSchema().safeParse(value))).toEqual([ASN_RANGE_MESSAGE]);
  });

  it("names the range in words", () => {
    expect(ASN_RANGE_MESSAGE).toBe("ASN must be between 1 and 4294967295");
  });

  it("still says 'digits' for something that is not a number at all", () => {
    expect(messages(asnSchema().safeParse("sixty-four"))).toEqual(["must be digits, optionally prefixed AS"]);
    expect(messages(asnSchema().safeParse("-5"))).toEqual(["must be digits, optionally prefixed AS"]);
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

  it.each([
    ["A1B2C3D4E5", "a1b2c3d4e5"],
    ["a1b2c3d4e5", "a1b2c3d4e5"],
    ["  A1b2C3d4E5\n", "a1b2c3d4e5"],
    ["200 info a1b2c3d4e5 1.14.1 ONLINE", "a1b2c3d4e5"],
    ["200 info A1B2C3D4E5 1.14.1 ONLINE", "a1b2c3d4e5"],
  ])("reads the node id input %j as %j", (input, id) => {
    expect(nodeIdInputSchema.parse(input)).toBe(id);
  });

  it.each([
    ["a1b2c3d4e5f", "must be 10 hex digits, not 11"],
    ["A1B2C3D4E5F", "must be 10 hex digits, not 11"],
    ["a1b2c3d4e", "must be 10 hex digits, not 9"],
    ["a1b2c3d4eg", "only hex digits (0-9, a-f)"],
    ["0000000000", "0000000000 is reserved in ZeroTier and is never a node's id"],
    ["ff12345678", "node ids starting with ff are reserved"],
    ["FF12345678", "node ids starting with ff are reserved"],
  ])("refuses the node id input %j with %j", (input, message) => {
    expect(messages(nodeIdInputSchema.safeParse(input))).toEqual([message]);
  });

  it("checks network ids and suffixes", () => {
    expect(networkIdSchema.safeParse("8056c2e21c000001").success).toBe(true);
    expect(networkIdSchema.safeParse("8056c2e21c00001").success).toBe(false);
    expect(networkSuffixSchema.safeParse("000001").success).toBe(true);
    expect(networkSuffixSchema.safeParse("00000G").success).toBe(false);
  });
});
