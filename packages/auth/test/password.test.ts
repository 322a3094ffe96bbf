import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, parsePasswordHash, verifyPassword } from "../src/index.ts";

const cheap = { N: 1024, r: 8, p: 1 };

describe("password hashing", () => {
  it("stores the scrypt parameters and a random salt with every hash", async () => {
    const a = await hashPassword("same password", cheap);
    const b = await hashPassword("same password", cheap);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(parsePasswordHash(a)?.params).toEqual(cheap);
  });

  it("verifies with the parameters stored in the hash, not the current defaults", async () => {
    const stored = await hashPassword("hunter2 but longer", cheap);
    expect(await verifyPassword("hunter2 but longer", stored)).toBe(true);
    expect(await verifyPassword("hunter2 but longeR", stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
    expect(needsRehash(stored, cheap)).toBe(false);
  });

  it("never matches a malformed or absurd hash", async () => {
    for (const stored of [
      "",
      "plain",
      "scrypt$1024$8$1$c2FsdA$",
      "scrypt$1000$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "scrypt$2097152$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "bcrypt$1024$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ]) {
      expect(await verifyPassword("anything", stored)).toBe(false);
    }
  });
});
