import { describe, expect, it } from "vitest";
import {
  operatorFailureMessage,
  operatorWaitMessage,
  operatorWordings,
  waitReasonCode,
} from "../src/operator-messages.ts";

describe("what operators read about errors", () => {
  it("says a controller outage passes by itself", () => {
    expect(operatorWaitMessage("controller_unreachable")).toBe(
      "The exchange could not reach its ZeroTier controller; your request will continue automatically.",
    );
  });

  it("says what happens next for the request's own problems", () => {
    expect(operatorFailureMessage("address_pool_exhausted")).toMatch(/No peering address is left.*retry/);
    expect(operatorFailureMessage("controller_rejected")).toMatch(/zerotier-cli info/);
    expect(operatorFailureMessage("replaced_membership_gone")).toMatch(/Request to join again/);
  });

  it("has plain words for any code, even an unknown or inherited one", () => {
    for (const code of ["no_such_code", "toString", "constructor", "", null, undefined]) {
      expect(operatorFailureMessage(code)).toBe(
        "The exchange ran into a problem. The exchange team sees the details and can retry your request.",
      );
      expect(operatorWaitMessage(code)).toBe(
        "The exchange ran into a problem; your request will continue automatically.",
      );
    }
  });

  it.each(Object.keys(operatorWordings))("words %s without hosts, ports, commands or codes", (code) => {
    for (const text of [operatorFailureMessage(code), operatorWaitMessage(code)]) {
      expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+|:\d{2,5}\b|`|npm run|ssh|sudo|_/i);
      expect(text).toMatch(/^[A-Z].*\.$/);
    }
  });

  it("reads the code at the head of a stored wait reason, when it knows it", () => {
    expect(waitReasonCode("controller_unreachable: ssh to 127.0.0.1:19394: connect ECONNREFUSED")).toBe(
      "controller_unreachable",
    );
    expect(waitReasonCode("the route servers are taking the member's sessions off")).toBeNull();
    expect(waitReasonCode("toString: nope")).toBeNull();
    expect(waitReasonCode(undefined)).toBeNull();
  });
});
