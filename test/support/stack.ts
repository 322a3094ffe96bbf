import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AwsEndpoints, documentClient, dynamoClient, resourceEnv, s3Client, sqsClient } from "@ztix/aws";
import { countDynamoCalls, createService } from "@ztix/data";
import { bootstrapResources } from "@ztix/local-stack";
import { inject } from "vitest";

/**
 * A private slice of the real local stack for one test file: its own table, FIFO queue + DLQ
 * and bucket on the shared DynamoDB Local and fauxqs, plus a secrets file, with
 * SST_RESOURCE_* set so code that reads linked resources finds them.
 */
export async function testStack(
  options: { secrets?: Record<string, string>; dynamodbEndpoint?: string } = {},
) {
  const id = randomBytes(4).toString("hex");
  const endpoints: AwsEndpoints = {
    mode: "local",
    region: "us-east-1",
    dynamodb: options.dynamodbEndpoint ?? inject("dynamoEndpoint"),
    sqs: inject("fauxqsEndpoint"),
    s3: inject("fauxqsEndpoint"),
  };
  const dynamo = dynamoClient(endpoints);
  const calls = countDynamoCalls(dynamo);
  const doc = documentClient(dynamo);
  const sqs = sqsClient(endpoints);
  const s3 = s3Client(endpoints);
  const names = {
    tableName: `ztix-${id}`,
    queueName: `ztix-${id}.fifo`,
    dlqName: `ztix-${id}-dlq.fifo`,
    bucketName: `ztix-${id}`,
  };
  const created = await bootstrapResources({ dynamo, sqs, s3 }, names);
  const dir = mkdtempSync(join(tmpdir(), "ztix-test-"));
  const secretsPath = join(dir, "secrets.json");
  writeFileSync(secretsPath, JSON.stringify(options.secrets ?? {}), { mode: 0o600 });
  const env = resourceEnv({
    tableName: names.tableName,
    queueUrl: created.queueUrl,
    dlqUrl: created.dlqUrl,
    bucketName: names.bucketName,
    secrets: { backend: "file", path: secretsPath },
    stage: "test",
  });
  Object.assign(process.env, env);
  const data = createService({ client: doc, table: names.tableName });
  return { id, endpoints, dynamo, doc, sqs, s3, data, calls, names, ...created, secretsPath, dir, env };
}

export type TestStack = Awaited<ReturnType<typeof testStack>>;
