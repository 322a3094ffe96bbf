import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseRuntimeConfig } from "@ztix/core";
import { describe, expect, it } from "vitest";
import { BASELINE_SECRETS, loadStageConfig, secretNamesOf } from "../config.ts";
import { isProductionStage } from "../stage.ts";
import { domainFor } from "../web.ts";

const fixtures = join(import.meta.dirname, "fixtures");
const fixture = readFileSync(join(fixtures, "stage-config.yaml"), "utf8");

describe("stage config for a deploy", () => {
  it("names every secret the config references plus the baseline ones", () => {
    expect(secretNamesOf(parseRuntimeConfig(fixture))).toEqual([
      "controller_ssh_key",
      "controller_token",
      "peeringdb_client_secret",
      "rs1_ssh_key",
      "rs2_ssh_key",
      "session_key",
    ]);
  });

  it("includes the Central token only when the controller provider is Central", () => {
    const central = parseRuntimeConfig(
      `${fixture}\n`.replace("controller:\n", "controller:\n  provider: central\n"),
    );
    expect(secretNamesOf(central)).toContain("central_token");
    expect(secretNamesOf(parseRuntimeConfig(fixture))).not.toContain("central_token");
  });

  it("accepts the documented example config", () => {
    const example = parseRuntimeConfig(
      readFileSync(join(import.meta.dirname, "../../runtime-config.example.yaml"), "utf8"),
    );
    expect(secretNamesOf(example)).toEqual(expect.arrayContaining([...BASELINE_SECRETS, "rs1_ssh_key"]));
  });

  it("fails a deploy whose stage has no runtime config, naming the file to create", () => {
    expect(() => loadStageConfig(fixtures, "nosuchstage")).toThrow(
      /runtime-config\.nosuchstage\.yaml is missing/,
    );
  });

  it("fails a deploy whose runtime config is invalid, naming the field", () => {
    const bad = join(import.meta.dirname, "fixtures");
    expect(() => loadStageConfig(bad, "broken")).toThrow(/networks/);
  });
});

describe("stage policy and public domain", () => {
  it("treats only production stages as production", () => {
    expect(["production", "prod"].map(isProductionStage)).toEqual([true, true]);
    expect(["dev", "pr-7", "production-copy", "ci"].map(isProductionStage)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("uses public_url's host as the router domain unless it is local or CloudFront's own", () => {
    expect(domainFor("https://ix.example.net")).toEqual({ name: "ix.example.net" });
    expect(domainFor("https://ix.example.net", "arn:aws:acm:us-east-1:1:certificate/x")).toEqual({
      name: "ix.example.net",
      dns: false,
      cert: "arn:aws:acm:us-east-1:1:certificate/x",
    });
    expect(domainFor("http://localhost:8787")).toBeUndefined();
    expect(domainFor("https://d111111abcdef8.cloudfront.net")).toBeUndefined();
  });
});
