import { describe, expect, it } from "vitest";
import { addressSourcesFromEnv, clientAddress } from "../src/index.ts";

const direct = (...trustedProxies: string[]) => ({ kind: "direct", trustedProxies }) as const;
const cloudfront = { kind: "cloudfront" } as const;

describe("the client address on a direct connection (the local server)", () => {
  it("is the socket's peer, whatever forwarding headers the client writes", () => {
    const forged = {
      socketAddress: "192.0.2.9",
      forwardedFor: "198.51.100.1",
      viewerAddress: "203.0.113.7",
      lambdaSourceIp: undefined,
    };
    expect(clientAddress(forged, direct())).toBe("192.0.2.9");
  });

  it("follows X-Forwarded-For from the right only while each hop is a trusted proxy", () => {
    const proxies = direct("127.0.0.1", "10.0.0.2");
    expect(clientAddress({ socketAddress: "127.0.0.1", forwardedFor: "198.51.100.1" }, proxies)).toBe(
      "198.51.100.1",
    );
    // Two proxies deep: the leftmost entry is a claim by an untrusted client, not the answer.
    expect(
      clientAddress(
        { socketAddress: "127.0.0.1", forwardedFor: "203.0.113.66, 198.51.100.4, 10.0.0.2" },
        proxies,
      ),
    ).toBe("198.51.100.4");
  });

  it("keeps the proxy's own address when its header is missing or garbled", () => {
    const proxies = direct("127.0.0.1");
    expect(clientAddress({ socketAddress: "127.0.0.1" }, proxies)).toBe("127.0.0.1");
    expect(clientAddress({ socketAddress: "127.0.0.1", forwardedFor: "evil; DROP TABLE" }, proxies)).toBe(
      "127.0.0.1",
    );
  });

  it("canonicalises mapped IPv4, brackets and case, so one client is one counter", () => {
    expect(clientAddress({ socketAddress: "::ffff:192.0.2.3" }, direct())).toBe("192.0.2.3");
    expect(
      clientAddress(
        { socketAddress: "::ffff:127.0.0.1", forwardedFor: "[2001:DB8::1]" },
        direct("127.0.0.1"),
      ),
    ).toBe("2001:db8::1");
    expect(clientAddress({}, direct())).toBe("unknown");
  });
});

describe("the client address behind the CloudFront router", () => {
  it("is the viewer address the router's function wrote, never X-Forwarded-For", () => {
    const edge = { lambdaSourceIp: "130.176.0.1", forwardedFor: "198.51.100.1, 130.176.0.1" };
    expect(clientAddress({ ...edge, viewerAddress: "203.0.113.7" }, cloudfront)).toBe("203.0.113.7");
    expect(clientAddress({ ...edge, viewerAddress: "2001:DB8:3333::8888" }, cloudfront)).toBe(
      "2001:db8:3333::8888",
    );
  });

  it("falls back to the edge's own address (one shared counter), not to the client's headers", () => {
    const edge = { lambdaSourceIp: "130.176.0.1", forwardedFor: "198.51.100.1" };
    expect(clientAddress({ ...edge, viewerAddress: "not-an-address" }, cloudfront)).toBe("130.176.0.1");
    expect(clientAddress({ forwardedFor: "198.51.100.1" }, cloudfront)).toBe("unknown");
  });
});

describe("reading the address sources from a runtime's env", () => {
  it("finds the Lambda event's source IP and the Node socket's peer", () => {
    const lambda = { event: { requestContext: { http: { sourceIp: "130.176.0.1" } } } };
    expect(addressSourcesFromEnv(lambda, {}).lambdaSourceIp).toBe("130.176.0.1");
    const node = { incoming: { socket: { remoteAddress: "::ffff:127.0.0.1" } } };
    expect(addressSourcesFromEnv(node, { forwardedFor: "198.51.100.1" })).toMatchObject({
      socketAddress: "::ffff:127.0.0.1",
      forwardedFor: "198.51.100.1",
    });
  });
});
