import { startDynamoDbLocal, startFauxqsServer } from "@ztix/local-stack";
import type { TestProject } from "vitest/node";

/** One DynamoDB Local and one fauxqs for the whole run; each test file makes its own table and queues. */
export default async function setup(project: TestProject) {
  // Node 20 here; Lambda runs 22. The SDK's upgrade notice is noise in every test log.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const [dynamo, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqsServer()]);
  process.env.ZTIX_MODE = "local";
  process.env.ZTIX_DYNAMODB_ENDPOINT = dynamo.endpoint;
  process.env.ZTIX_SQS_ENDPOINT = fauxqs.endpoint;
  process.env.ZTIX_S3_ENDPOINT = fauxqs.endpoint;
  project.provide("dynamoEndpoint", dynamo.endpoint);
  project.provide("fauxqsEndpoint", fauxqs.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), fauxqs.stop()]);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    fauxqsEndpoint: string;
  }
}
