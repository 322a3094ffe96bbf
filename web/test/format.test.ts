import { describe, expect, it } from "vitest";
import { ApiError, describeError } from "../src/lib/api/errors.ts";
import { humanDuration, personLabel } from "../src/lib/format.ts";

describe("humanDuration", () => {
  it.each([
    [1, "1 second"],
    [45, "45 seconds"],
    [59, "59 seconds"],
    [60, "1 minute"],
    [61, "2 minutes"],
    [690, "12 minutes"],
    [900, "15 minutes"],
    [7200, "120 minutes"],
    [0, "1 second"],
    [0.4, "1 second"],
  ])("says %s s as %j", (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });
});

describe("the sign-in throttle message", () => {
  it("reads in minutes from a minute on, and in seconds below", () => {
    const throttled = (s: number) => new ApiError(429, "too_many_requests", "too many", {}, s);
    expect(describeError(throttled(690))).toBe("Too many attempts. Try again in 12 minutes.");
    expect(describeError(throttled(30))).toBe("Too many attempts. Try again in 30 seconds.");
    expect(describeError(throttled(1))).toBe("Too many attempts. Try again in 1 second.");
  });
});

describe("personLabel", () => {
  it("prefers the display name, then the username, and only then the id", () => {
    expect(personLabel({ user_id: "u1", display_name: "Alice A.", username: "alice" })).toBe("Alice A.");
    expect(personLabel({ user_id: "u1", display_name: null, username: "alice" })).toBe("alice");
    expect(personLabel({ user_id: "u1", display_name: null })).toBe("u1");
  });
});
