import { describe, expect, it } from "vitest";
import { clientAddress, hashPassword, needsRehash, parsePasswordHash, verifyPassword } from "../src/index.ts";

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

describe("client address", () => {
  it("prefers the Lambda event, then the first X-Forwarded-For hop, then the socket", () => {
    expect(
      clientAddress({
        lambdaSourceIp: "203.0.113.5",
        forwardedFor: "198.51.100.1",
        socketAddress: "127.0.0.1",
      }),
    ).toBe("203.0.113.5");
    expect(clientAddress({ forwardedFor: " 198.51.100.1, 10.0.0.1", socketAddress: "127.0.0.1" })).toBe(
      "198.51.100.1",
    );
    expect(clientAddress({ socketAddress: "::ffff:192.0.2.3" })).toBe("192.0.2.3");
    expect(clientAddress({ forwardedFor: "[2001:DB8::1]" })).toBe("2001:db8::1");
  });

  it("behind the CDN router, takes the viewer address CloudFront forwards over the edge's own", () => {
    const edge = { lambdaSourceIp: "130.176.0.1", socketAddress: "127.0.0.1" };
    expect(clientAddress({ ...edge, viewerAddress: "203.0.113.7:46532" })).toBe("203.0.113.7");
    expect(clientAddress({ ...edge, viewerAddress: "2001:db8:3333::8888:46532" })).toBe(
      "2001:db8:3333::8888",
    );
    expect(clientAddress({ ...edge, viewerAddress: "not-an-address" })).toBe("130.176.0.1");
  });

  it("ignores values that are not IP addresses", () => {
    expect(clientAddress({ forwardedFor: "evil; DROP TABLE", socketAddress: "192.0.2.9" })).toBe("192.0.2.9");
    expect(clientAddress({})).toBe("unknown");
  });
});
