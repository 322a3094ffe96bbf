import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { type AwsEndpoints, dynamoClient, s3Client, secretsManagerClient, sqsClient } from "@ztix/aws";
import { MAX_RECEIVE_COUNT } from "@ztix/core";
import { freePort } from "@ztix/local-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapLocalStack, LOCALSTACK_SECRET_PREFIX } from "../../localstack/bootstrap.ts";
import { hasCommand } from "../../test/support/system.ts";

/**
 * LocalStack mode's SDK bootstrap. With a Docker engine, LocalStack itself (the compose file)
 * is the target; without one (as on these machines and in CI), moto's server stands in: it
 * serves DynamoDB, SQS, S3 and Secrets Manager on one endpoint exactly as LocalStack does.
 * Neither is installed by CI, so where both are missing the suite skips with a notice.
 */
function dockerRunning(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const docker = hasCommand("docker") && dockerRunning();
const moto = hasCommand("moto_server");
if (!docker)
  console.warn("[skip] no Docker engine here: LocalStack itself is not started (docker info failed)");
if (!docker && !moto)
  console.warn("[skip] neither Docker nor moto_server: the LocalStack bootstrap test is skipped");

describe.skipIf(!docker && !moto)("the LocalStack bootstrap", () => {
  let endpoints: AwsEndpoints;
  let server: ChildProcess | undefined;
  const composeFile = join(import.meta.dirname, "../../localstack/docker-compose.yml");

  beforeAll(async () => {
    if (docker) {
      execFileSync("docker", ["compose", "-f", composeFile, "up", "-d"], { stdio: "inherit" });
      endpoints = { mode: "localstack", region: "us-east-1", ...allAt("http://localhost:4566") };
    } else {
      const port = await freePort();
      server = spawn("moto_server", ["-p", String(port)], { stdio: "ignore" });
      endpoints = { mode: "localstack", region: "us-east-1", ...allAt(`http://127.0.0.1:${port}`) };
    }
  }, 120_000);

  afterAll(() => {
    if (docker) execFileSync("docker", ["compose", "-f", composeFile, "down"], { stdio: "inherit" });
    server?.kill();
  });

  it("creates the table, the FIFO queue with its DLQ redrive, the bucket and the local secrets, idempotently", async () => {
    const root = mkdtempSync(join(tmpdir(), "ztix-localstack-"));
    const id = Date.now().toString(36);
    const names = {
      tableName: `ztix-${id}`,
      queueName: `ztix-${id}.fifo`,
      dlqName: `ztix-${id}-dlq.fifo`,
      bucketName: `ztix-${id}`,
    };
    const first = await bootstrapLocalStack({ endpoints, root, names, timeoutMs: 30_000 });
    // A second run changes nothing: the secrets already hold the local values.
    const second = await bootstrapLocalStack({ endpoints, root, names, timeoutMs: 30_000 });

    const table = await dynamoClient(endpoints).send(
      new DescribeTableCommand({ TableName: names.tableName }),
    );
    expect(table.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName).sort()).toEqual([
      "gsi1",
      "gsi2",
      "gsi3",
      "gsi4",
    ]);
    const attrs = await sqsClient(endpoints).send(
      new GetQueueAttributesCommand({ QueueUrl: first.queueUrl, AttributeNames: ["All"] }),
    );
    expect(attrs.Attributes?.FifoQueue).toBe("true");
    expect(JSON.parse(attrs.Attributes!.RedrivePolicy!).maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    await s3Client(endpoints).send(new HeadBucketCommand({ Bucket: names.bucketName }));

    // Every value of the local secrets file (written by the dev launcher's first run) is mirrored.
    const local = JSON.parse(readFileSync(join(root, ".ztix/secrets.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(first.secretsWritten).toEqual(Object.keys(local).sort());
    expect(first.secretsWritten).toEqual(expect.arrayContaining(["controller_token", "session_key"]));
    expect(second.secretsWritten).toEqual([]);
    const stored = await secretsManagerClient(endpoints).send(
      new GetSecretValueCommand({ SecretId: `${LOCALSTACK_SECRET_PREFIX}session_key` }),
    );
    expect(stored.SecretString).toBe(local.session_key);
  }, 60_000);

  it("updates a secret whose local value changed", async () => {
    const root = mkdtempSync(join(tmpdir(), "ztix-localstack-"));
    await bootstrapLocalStack({ endpoints, root, timeoutMs: 30_000 });
    const path = join(root, ".ztix/secrets.json");
    const secrets = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
    writeFileSync(path, JSON.stringify({ ...secrets, controller_token: "rotated-token" }));
    const again = await bootstrapLocalStack({ endpoints, root, timeoutMs: 30_000 });
    expect(again.secretsWritten).toEqual(["controller_token"]);
  }, 60_000);
});

function allAt(url: string) {
  return { dynamodb: url, sqs: url, s3: url, secretsmanager: url };
}
