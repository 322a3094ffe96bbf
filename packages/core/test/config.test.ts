import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRuntimeConfig } from "../src/config/parse.ts";
import { AppError } from "../src/errors.ts";

const example = readFileSync(new URL("../../../runtime-config.example.yaml", import.meta.url), "utf8");

function problemsOf(text: string): string[] {
  try {
    parseRuntimeConfig(text);
  } catch (e) {
    if (e instanceof AppError) return e.details.problems as string[];
    throw e;
  }
  throw new Error("expected the config to be rejected");
}

describe("runtime config", () => {
  it("accepts the documented example", () => {
    const config = parseRuntimeConfig(example);
    expect(config.workflow.approval_mode).toBe("manual_admin");
    expect(config.networks[0]!.ipv6?.scheme).toBe("asn_embedded");
    expect(config.controller.transport.kind).toBe("ssh");
    expect(config.route_servers[0]!.paths.members_dir).toBe("/etc/bird/ztix/members");
  });

  it("fills defaults for everything but the networks", () => {
    const config = parseRuntimeConfig(
      "networks:\n  - suffix: '000001'\n    name: lan\n    ipv4: { prefix: 10.0.0.0/24, pool_start: 10.0.0.10, pool_end: 10.0.0.20 }\n",
    );
    expect(config.session.idle_timeout_minutes).toBe(120);
    expect(config.auth.peeringdb.scopes).toContain("openid");
    expect(config.controller.transport).toEqual({ kind: "direct", url: "http://127.0.0.1:9993" });
    expect(config.route_servers).toEqual([]);
  });

  it("names the field and the problem when a value is wrong", () => {
    const bad = example
      .replace("pool_end: 10.147.17.250", "pool_end: 10.147.18.250")
      .replace("approval_mode: manual_admin", "approval_mode: yolo");
    const problems = problemsOf(bad);
    expect(problems).toContainEqual(
      expect.stringMatching(/^networks\.0\.ipv4\.pool_end: 10\.147\.18\.250 is outside/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^workflow\.approval_mode: /));
  });

  it("refuses unknown fields, so a typo never silently falls back to a default", () => {
    const problems = problemsOf(example.replace("idle_timeout_minutes: 120", "idle_timout_minutes: 120"));
    expect(problems).toContainEqual(expect.stringMatching(/^session: .*idle_timout_minutes/));
  });

  it("refuses a secret written inline instead of named", () => {
    const problems = problemsOf(
      example.replace("    client_secret: { secret: peeringdb_client_secret }", "    client_secret: hunter2"),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^auth\.peeringdb\.client_secret: /));
  });

  it("reports invalid YAML as such", () => {
    expect(() => parseRuntimeConfig("networks: [")).toThrow(/not valid YAML/);
  });
});
