import { describe, expect, it } from "vitest";
import {
  afterFailure,
  afterSuccess,
  backoffMs,
  defaultRefreshPolicy,
  isRefreshDue,
  maxPrefixFromPeeringDb,
  neverRefreshed,
  nextRefreshAt,
  recordAgeMs,
} from "../src/index.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const t0 = new Date("2025-04-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const transient = { transient: true };

describe("refresh schedule", () => {
  it("a network never read is due at once", () => {
    expect(isRefreshDue(neverRefreshed, t0)).toBe(true);
  });

  it("a good record is read again after 24 h", () => {
    const state = afterSuccess(t0);
    expect(nextRefreshAt(state)).toEqual(at(24 * HOUR));
    expect(isRefreshDue(state, at(24 * HOUR - 1))).toBe(false);
    expect(isRefreshDue(state, at(24 * HOUR))).toBe(true);
  });

  it("failures back off from 5 min, doubling, to at most 6 h", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50, 1000].map((n) => backoffMs(n) / MIN)).toEqual([
      5, 10, 20, 40, 80, 160, 320, 360, 360, 360,
    ]);
    expect(backoffMs(0)).toBe(0);
  });

  it("each failure in a row waits longer, counted from that failure", () => {
    let state = afterFailure(neverRefreshed, t0, transient);
    expect(nextRefreshAt(state)).toEqual(at(5 * MIN));
    state = afterFailure(state, at(5 * MIN), transient);
    expect(nextRefreshAt(state)).toEqual(at(15 * MIN));
    state = afterFailure(state, at(15 * MIN), transient);
    expect(nextRefreshAt(state)).toEqual(at(35 * MIN));
  });

  it("a stale record that fails to refresh backs off from the failure", () => {
    const stale = afterSuccess(at(-30 * HOUR));
    const state = afterFailure(stale, t0, transient);
    expect(nextRefreshAt(state)).toEqual(at(5 * MIN));
    expect(recordAgeMs(state, t0)).toBe(30 * HOUR);
  });

  it("a failed early refresh does not pull the next try before a current record's regular refresh", () => {
    const fresh = afterSuccess(at(-1 * HOUR));
    const state = afterFailure(fresh, t0, transient);
    expect(nextRefreshAt(state)).toEqual(at(23 * HOUR));
  });

  it("a 429's Retry-After is honoured when longer than the backoff", () => {
    const state = afterFailure(neverRefreshed, t0, { transient: true, retryAfterSeconds: 3600 });
    expect(nextRefreshAt(state)).toEqual(at(HOUR));
  });

  it("a 429's Retry-After is honoured even above the 6 h ceiling", () => {
    const state = afterFailure(neverRefreshed, t0, { transient: true, retryAfterSeconds: 8 * 3600 });
    expect(nextRefreshAt(state)).toEqual(at(8 * HOUR));
  });

  it("a short Retry-After does not undercut the backoff", () => {
    let state = afterFailure(neverRefreshed, t0, transient);
    state = afterFailure(state, t0, transient);
    state = afterFailure(state, t0, { transient: true, retryAfterSeconds: 1 });
    expect(nextRefreshAt(state)).toEqual(at(20 * MIN));
  });

  it("a failure that will not pass by itself waits the full ceiling at once", () => {
    const state = afterFailure(neverRefreshed, t0, { transient: false });
    expect(nextRefreshAt(state)).toEqual(at(6 * HOUR));
  });

  it("a success clears the failures", () => {
    const failing = afterFailure(afterFailure(neverRefreshed, t0, transient), t0, transient);
    const state = afterSuccess(at(HOUR));
    expect(failing.failures).toBe(2);
    expect(state).toEqual({ ...neverRefreshed, lastSuccessAt: at(HOUR) });
    expect(nextRefreshAt(state)).toEqual(at(25 * HOUR));
  });

  it("takes its intervals from the policy", () => {
    const policy = { intervalMs: HOUR, backoffMinMs: MIN, backoffMaxMs: 4 * MIN };
    expect(nextRefreshAt(afterSuccess(t0), policy)).toEqual(at(HOUR));
    let state = neverRefreshed;
    for (let i = 0; i < 5; i++) state = afterFailure(state, t0, transient);
    expect(nextRefreshAt(state, policy)).toEqual(at(4 * MIN));
    expect(defaultRefreshPolicy).toEqual({
      intervalMs: 24 * HOUR,
      backoffMinMs: 5 * MIN,
      backoffMaxMs: 6 * HOUR,
    });
  });

  it("a never-read network has no record age", () => {
    expect(recordAgeMs(neverRefreshed, t0)).toBeNull();
  });
});

describe("maxPrefixFromPeeringDb", () => {
  const opts = { headroomPercent: 20, floor: 10 };

  it("adds the headroom and rounds up", () => {
    expect(maxPrefixFromPeeringDb(100, opts)).toBe(120);
    expect(maxPrefixFromPeeringDb(101, opts)).toBe(122); // 121.2 → 122
    expect(maxPrefixFromPeeringDb(950_000, opts)).toBe(1_140_000);
  });

  it("gives the floor when the count is unknown", () => {
    expect(maxPrefixFromPeeringDb(null, opts)).toBe(10);
    expect(maxPrefixFromPeeringDb(undefined, opts)).toBe(10);
    expect(maxPrefixFromPeeringDb(0, opts)).toBe(10);
  });

  it("never gives less than the floor", () => {
    expect(maxPrefixFromPeeringDb(3, opts)).toBe(10);
    expect(maxPrefixFromPeeringDb(9, { headroomPercent: 10, floor: 10 })).toBe(10); // 9.9 → 10
    expect(maxPrefixFromPeeringDb(9, { headroomPercent: 12, floor: 10 })).toBe(11); // 10.08 → 11
  });

  it("stays exact where floating point would not", () => {
    expect(maxPrefixFromPeeringDb(1000, { headroomPercent: 0.1, floor: 1 })).toBe(1001);
    expect(maxPrefixFromPeeringDb(100, { headroomPercent: 10, floor: 1 })).toBe(110);
    expect(maxPrefixFromPeeringDb(7, { headroomPercent: 0, floor: 1 })).toBe(7);
  });

  it("refuses a floor or headroom that makes no sense", () => {
    expect(() => maxPrefixFromPeeringDb(10, { headroomPercent: -1, floor: 10 })).toThrow(RangeError);
    expect(() => maxPrefixFromPeeringDb(10, { headroomPercent: 10, floor: 0 })).toThrow(RangeError);
    expect(() => maxPrefixFromPeeringDb(10, { headroomPercent: Number.NaN, floor: 10 })).toThrow(RangeError);
  });
});
