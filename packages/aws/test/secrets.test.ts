import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { endpointsFromEnv } from "../src/endpoints.ts";
import { fileSecretStore, SecretNotFoundError } from "../src/secrets.ts";

describe("file secret store", () => {
  const dir = mkdtempSync(join(tmpdir(), "ztix-secrets-"));
  const path = join(dir, "secrets.json");

  it("resolves names and says which one is missing", async () => {
    writeFileSync(path, JSON.stringify({ controller_token: "abc" }));
    const store = fileSecretStore(path);
    await expect(store.get("controller_token")).resolves.toBe("abc");
    await expect(store.get("nope")).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(store.get("nope")).rejects.toThrow('secret "nope" is not set');
  });

  it("serves cached values until invalidated, so a token reload sees the rotated value", async () => {
    writeFileSync(path, JSON.stringify({ controller_token: "old" }));
    const store = fileSecretStore(path, 60_000);
    await expect(store.get("controller_token")).resolves.toBe("old");
    writeFileSync(path, JSON.stringify({ controller_token: "new" }));
    await expect(store.get("controller_token")).resolves.toBe("old");
    store.invalidate("controller_token");
    await expect(store.get("controller_token")).resolves.toBe("new");
  });
});

describe("AWS endpoints", () => {
  it("uses LocalStack's single endpoint in localstack mode", () => {
    const e = endpointsFromEnv({ ZTIX_MODE: "localstack" });
    expect(e).toMatchObject({
      mode: "localstack",
      dynamodb: "http://localhost:4566",
      sqs: "http://localhost:4566",
    });
  });

  it("uses the SDK's own endpoints in AWS, and defaults to aws inside Lambda", () => {
    expect(endpointsFromEnv({ AWS_LAMBDA_FUNCTION_NAME: "f", AWS_REGION: "eu-central-1" })).toEqual({
      mode: "aws",
      region: "eu-central-1",
      dynamodb: undefined,
      sqs: undefined,
      s3: undefined,
      secretsmanager: undefined,
    });
  });

  it("refuses an unknown mode", () => {
    expect(() => endpointsFromEnv({ ZTIX_MODE: "prod" })).toThrow(/ZTIX_MODE/);
  });
});

describe("AWS endpoints under sst shell", () => {
  it("infers AWS from a non-local linked stage, and the local stack from the local one", () => {
    expect(endpointsFromEnv({ SST_RESOURCE_App: JSON.stringify({ name: "ztix", stage: "prod" }) }).mode).toBe(
      "aws",
    );
    expect(
      endpointsFromEnv({ SST_RESOURCE_App: JSON.stringify({ name: "ztix", stage: "local" }) }).mode,
    ).toBe("local");
    expect(
      endpointsFromEnv({ ZTIX_MODE: "local", SST_RESOURCE_App: JSON.stringify({ stage: "prod" }) }).mode,
    ).toBe("local");
  });
});
