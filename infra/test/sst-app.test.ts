import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_TIMEOUT_SECONDS, WORKER_TIMEOUT_SECONDS } from "@ztix/core";
import { tableKeyDesign } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import { ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from "../../functions/api/src/front.ts";
import { SECURITY_HEADERS } from "../../functions/api/src/security-headers.ts";
import { lambdaExternals } from "../../functions/scripts/src/bundle.ts";
import { requireSystem } from "../../test/support/system.ts";
import { BACKUP_SCHEDULE, RECONCILE_SCHEDULE, SWEEPER_SCHEDULE } from "../cron.ts";
import { type Evaluation, evaluateSstConfig, platformInstalled, repoRoot } from "./support/sst-mocks.ts";

const runtimeConfig = readFileSync(join(import.meta.dirname, "fixtures/stage-config.yaml"), "utf8");
const ready = requireSystem("the SST platform (.sst/platform, from `npx sst install`)", platformInstalled());
/** What `sst secret set ApiOriginSecret ...` would have stored for the stage. */
const ORIGIN_SECRET = "d1f0e3c2b5a4978685746352413021ff";
const secrets = { ApiOriginSecret: ORIGIN_SECRET };

type Statement = { actions: string[]; resources: string[] };

/** The IAM statements SST granted a function through its links and permissions. */
function statementsOf(ev: Evaluation, fn: string): Statement[] {
  const role = ev.one("aws:iam/role:Role", `${fn}Role`);
  const inline = (role.inputs.inlinePolicies ?? []) as { policy: string }[];
  return inline.flatMap((p) => (JSON.parse(p.policy) as { Statement: Statement[] }).Statement);
}

function linksOf(ev: Evaluation, fn: string): string[] {
  const build = ev.builds.find((b) => b.functionID === fn);
  if (!build) throw new Error(`no build for ${fn}`);
  return Object.keys(build.links).sort();
}

describe.skipIf(!ready)("the SST app evaluated under Pulumi mocks for a disposable stage", () => {
  let ev: Evaluation;
  beforeAll(async () => {
    ev = await evaluateSstConfig({ stage: "test", runtimeConfig, secrets });
  }, 120_000);

  const queues = () => {
    const all = ev.ofType("aws:sqs/queue:Queue");
    const main = all.find((q) => q.name === "ProvisioningQueueQueue")!;
    const dlq = all.find((q) => q.name === "ProvisioningDlqQueue")!;
    return { all, main, dlq };
  };

  it("creates a FIFO provisioning queue with explicit deduplication and a visibility timeout above the worker's timeout", () => {
    const { main } = queues();
    expect(main.inputs.fifoQueue).toBe(true);
    expect(main.inputs.contentBasedDeduplication).toBe(false);
    const worker = ev.one("aws:lambda/function:Function", "WorkerFunction").inputs;
    expect(main.inputs.visibilityTimeoutSeconds).toBe(QUEUE_VISIBILITY_TIMEOUT_SECONDS);
    expect(worker.timeout).toBe(WORKER_TIMEOUT_SECONDS);
    // What the deployed graph must hold: a job still running is never handed to a second worker.
    expect(main.inputs.visibilityTimeoutSeconds).toBeGreaterThan(worker.timeout);
  });

  it("redrives jobs to a FIFO dead-letter queue after the shared maximum receive count", () => {
    const { main, dlq, all } = queues();
    expect(all).toHaveLength(2);
    expect(dlq.inputs.fifoQueue).toBe(true);
    expect(dlq.inputs.messageRetentionSeconds).toBe(14 * 24 * 3600);
    expect(JSON.parse(main.inputs.redrivePolicy)).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:123456789012:${dlq.inputs.name}`,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
  });

  it("feeds the worker one job at a time with partial batch failures, and the DLQ to the DLQ handler", () => {
    const { main, dlq } = queues();
    const mappings = ev.ofType("aws:lambda/eventSourceMapping:EventSourceMapping");
    const bySource = (q: typeof main) =>
      mappings.find((m) => m.inputs.eventSourceArn.endsWith(`:${q.inputs.name}`))!;
    expect(mappings).toHaveLength(2);
    expect(bySource(main).inputs).toMatchObject({
      batchSize: 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
    expect(bySource(main).inputs.functionName).toMatch(/:function:ztix-test-WorkerFunction-/);
    expect(bySource(dlq).inputs.functionName).toMatch(/:function:ztix-test-DlqHandlerFunction-/);
  });

  it("alarms to the ops topic as soon as a job reaches or waits in the DLQ", () => {
    const alarm = ev.one("aws:cloudwatch/metricAlarm:MetricAlarm", "ProvisioningDlqAlarm").inputs;
    expect(alarm).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queues().dlq.inputs.name },
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
    });
    const topic = ev.ofType("aws:sns/topic:Topic");
    expect(topic).toHaveLength(1);
    expect(alarm.alarmActions).toEqual([`arn:aws:mock:us-east-1:123456789012:${topic[0]!.name}`]);
    // The DLQ handler drains the DLQ quickly, so arrivals alarm too, not only depth.
    const arrivals = ev.one("aws:cloudwatch/metricAlarm:MetricAlarm", "ProvisioningDeadLetteredAlarm").inputs;
    expect(arrivals).toMatchObject({
      metricName: "NumberOfMessagesReceived",
      dimensions: { QueueName: queues().dlq.inputs.name },
      threshold: 0,
      alarmActions: alarm.alarmActions,
    });
  });

  it("runs the worker and the controller backup in the VPC's private subnets behind managed NAT, and nothing else", () => {
    const fns = ev.ofType("aws:lambda/function:Function");
    const inVpc = fns.filter((f) => f.inputs.vpcConfig).map((f) => f.name);
    expect(inVpc.sort()).toEqual(["ControllerBackupFunction", "WorkerFunction"]);
    const worker = ev.one("aws:lambda/function:Function", "WorkerFunction").inputs.vpcConfig;
    expect(worker.subnetIds).toEqual(["VpcPrivateSubnet1-id", "VpcPrivateSubnet2-id"]);
    expect(worker.securityGroupIds).toHaveLength(1);
    expect(ev.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(2);
    const privateSubnets = ev
      .ofType("aws:ec2/subnet:Subnet")
      .filter((s) => s.name.startsWith("VpcPrivateSubnet"));
    expect(privateSubnets.every((s) => s.inputs.mapPublicIpOnLaunch !== true)).toBe(true);
  });

  it("creates the table from the shared key design with TTL and point-in-time recovery", () => {
    const table = ev.one("aws:dynamodb/table:Table", "TableTable").inputs;
    expect(table.hashKey).toBe(tableKeyDesign.partitionKey);
    expect(table.rangeKey).toBe(tableKeyDesign.sortKey);
    expect(table.globalSecondaryIndexes).toEqual(
      tableKeyDesign.globalIndexes.map((g) => ({
        name: g.name,
        hashKey: g.partitionKey,
        rangeKey: g.sortKey,
        projectionType: "ALL",
      })),
    );
    expect(table.attributes.every((a: { type: string }) => a.type === "S")).toBe(true);
    expect(table.ttl).toEqual({ attributeName: tableKeyDesign.ttlAttribute, enabled: true });
    expect(table.pointInTimeRecovery).toEqual({ enabled: true });
    expect(table.billingMode).toBe("PAY_PER_REQUEST");
    expect(table.deletionProtectionEnabled).toBe(false);
  });

  it("keeps controller backups private, encrypted, versioned, HTTPS-only and expiring old versions", () => {
    const bucket = ev.one("aws:s3/bucket:Bucket", "BackupBucketBucket");
    const name = (r: { inputs: Record<string, any> }) => r.inputs.bucket;
    const forBucket = (type: string) => ev.ofType(type).filter((r) => name(r) === bucket.inputs.bucket);
    expect(forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]!.inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
    ).toHaveLength(1);
    const sse = forBucket(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )[0]!;
    expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("AES256");
    expect(
      forBucket("aws:s3/bucketVersioning:BucketVersioning")[0]!.inputs.versioningConfiguration.status,
    ).toBe("Enabled");
    const rules = forBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0]!.inputs
      .rules;
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      status: "Enabled",
      noncurrentVersionExpiration: { noncurrentDays: 90 },
    });
    const policy = JSON.parse(forBucket("aws:s3/bucketPolicy:BucketPolicy")[0]!.inputs.policy);
    expect(JSON.stringify(policy)).toContain("aws:SecureTransport");
    expect(forBucket("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")).toHaveLength(0);
  });

  it("links each function to exactly the resources it needs", () => {
    expect(linksOf(ev, "Api")).toEqual(["ApiOriginSecret", "ProvisioningQueue", "Table", "ZtixSecrets"]);
    expect(linksOf(ev, "Worker")).toEqual([
      "BackupBucket",
      "ProvisioningDlq",
      "ProvisioningQueue",
      "Table",
      "ZtixSecrets",
    ]);
    expect(linksOf(ev, "DlqHandler")).toEqual([
      "ProvisioningDlq",
      "ProvisioningQueue",
      "Table",
      "ZtixSecrets",
    ]);
    expect(linksOf(ev, "Sweeper")).toEqual(["ProvisioningQueue", "Table"]);
    expect(linksOf(ev, "ReconcileSchedule")).toEqual(["ProvisioningQueue", "Table"]);
    expect(linksOf(ev, "ControllerBackup")).toEqual(["BackupBucket", "Table", "ZtixSecrets"]);
    const api = ev.builds.find((b) => b.functionID === "Api")!;
    expect(api.links.ZtixSecrets).toMatchObject({ backend: "secretsmanager", prefix: "ztix/test/" });
  });

  it("grants the API no access to the backup bucket and the worker read access to the stage's secrets only", () => {
    const api = statementsOf(ev, "Api");
    expect(api.flatMap((s) => s.actions).some((a) => a.startsWith("s3:"))).toBe(false);
    const sqs = api.filter((s) => s.actions.some((a) => a.startsWith("sqs:")));
    // SQS access is scoped to the provisioning queue: the API never reads the DLQ.
    expect(sqs.flatMap((s) => s.resources)).toEqual([
      `arn:aws:sqs:us-east-1:123456789012:${queues().main.inputs.name}`,
    ]);
    const secretStatements = statementsOf(ev, "Worker").filter((s) =>
      s.actions.includes("secretsmanager:GetSecretValue"),
    );
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]!.actions).toEqual(["secretsmanager:GetSecretValue"]);
    expect(secretStatements[0]!.resources).toHaveLength(ev.ofType("aws:secretsmanager/secret:Secret").length);
    expect(secretStatements[0]!.resources.every((r) => r.includes(":secret:ztix/test/"))).toBe(true);
  });

  it("creates one empty secret per name the stage's config uses, under ztix/<stage>/", () => {
    const names = ev.ofType("aws:secretsmanager/secret:Secret").map((s) => s.inputs.name);
    expect(names.sort()).toEqual(
      [
        "controller_ssh_key",
        "controller_token",
        "peeringdb_client_secret",
        "rs1_ssh_key",
        "rs2_ssh_key",
        "session_key",
      ].map((n) => `ztix/test/${n}`),
    );
    expect(ev.ofType("aws:secretsmanager/secretVersion:SecretVersion")).toHaveLength(0);
  });

  it("points each function at its handler file and ships the stage's runtime config with it", () => {
    const handlers = Object.fromEntries(ev.builds.map((b) => [b.functionID, b.handler]));
    expect(handlers).toEqual({
      Api: "functions/api/src/lambda.handler",
      Worker: "functions/worker/src/handler.handler",
      DlqHandler: "functions/worker/src/dlq-handler.handler",
      ReconcileSchedule: "functions/worker/src/reconcile-schedule-handler.handler",
      Sweeper: "functions/worker/src/sweeper-handler.handler",
      ControllerBackup: "functions/worker/src/backup-handler.handler",
    });
    for (const build of ev.builds) {
      expect(build.properties).toMatchObject({ format: "esm", architecture: "arm64" });
      expect(build.properties.esbuild.external).toEqual(lambdaExternals);
      expect(build.copyFiles.map((c) => [c.from.endsWith("/runtime-config.test.yaml"), c.to])).toEqual([
        [true, "runtime-config.yaml"],
      ]);
    }
    for (const fn of ev.ofType("aws:lambda/function:Function")) {
      expect(fn.inputs.environment.variables).toMatchObject({
        ZTIX_MODE: "aws",
        ZTIX_STAGE: "test",
        ZTIX_RUNTIME_CONFIG: "/var/task/runtime-config.yaml",
      });
    }
  });

  it("schedules the sweeper, the route-server reconciles and the daily controller backup against their functions", () => {
    const schedule = (name: string) => ev.one("aws:scheduler/schedule:Schedule", name).inputs;
    expect(schedule("ReconcileScheduleCronSchedule").scheduleExpression).toBe(RECONCILE_SCHEDULE);
    expect(RECONCILE_SCHEDULE).toBe("rate(10 minutes)");
    expect(schedule("ReconcileScheduleCronSchedule").target.arn).toMatch(
      /:function:ztix-test-ReconcileScheduleFunction-/,
    );
    expect(schedule("SweeperCronSchedule").scheduleExpression).toBe(SWEEPER_SCHEDULE);
    expect(schedule("SweeperCronSchedule").target.arn).toMatch(/:function:ztix-test-SweeperFunction-/);
    expect(schedule("ControllerBackupCronSchedule").scheduleExpression).toBe(BACKUP_SCHEDULE);
    expect(schedule("ControllerBackupCronSchedule").target.arn).toMatch(
      /:function:ztix-test-ControllerBackupFunction-/,
    );
  });

  it("serves the SPA and routes /api to the API's function URL on the public_url domain", () => {
    const dynamic = (name: string) => ev.one("pulumi-nodejs:dynamic:Resource", name).inputs;
    // The router keeps its routes in a CloudFront KeyValueStore: "<kind>,<namespace>,,<path>".
    const apiRoute = dynamic("RouterRoute/apiRoutesUpdate.sst.aws.KvRoutesUpdate");
    const [kind, namespace, , path] = String(apiRoute.entry).split(",");
    expect([kind, path]).toEqual(["url", "/api"]);
    const target = JSON.parse(dynamic("RouterRoute/apiRouteKey.sst.aws.KvKeys").entries.metadata);
    expect(dynamic("RouterRoute/apiRouteKey.sst.aws.KvKeys").namespace).toBe(namespace);
    expect(target.host).toBe("apiurl.lambda-url.us-east-1.on.aws");
    expect(String(dynamic("WebRoutesUpdate.sst.aws.KvRoutesUpdate").entry)).toMatch(/^site,/);
    expect(ev.one("aws:acm/certificate:Certificate", "RouterCdnSslCertificate").inputs.domainName).toBe(
      "ix.example.net",
    );
    expect(ev.outputs.url).toBe("https://ix.example.net");
    const functionUrl = ev.one("aws:lambda/functionUrl:FunctionUrl", "ApiUrl").inputs;
    expect(functionUrl.cors).toBeUndefined();
  });

  /** The router's viewer-request function, runnable here: its KeyValueStore holds no routes. */
  function viewerRequestHandler() {
    const code = String(
      ev.one("aws:cloudfront/function:Function", "RouterCloudfrontFunctionRequest").inputs.code,
    );
    const noRoutes = { kvs: () => ({ get: async () => Promise.reject(new Error("no such key")) }) };
    const body = code.replace('import cf from "cloudfront";', "");
    return new Function("cf", `${body}\nreturn handler;`)(noRoutes) as (event: unknown) => Promise<any>;
  }
  const viewerEvent = (uri: string, headers: Record<string, { value: string }> = {}) => ({
    viewer: { ip: "203.0.113.9" },
    request: {
      method: "POST",
      uri,
      querystring: {},
      cookies: {},
      headers: { host: { value: "ix.example.net" }, ...headers },
    },
  });

  it("has the router prove itself to the API: the origin secret and the viewer's own address on /api requests only", async () => {
    const handler = viewerRequestHandler();
    const forged = { value: "198.51.100.1" };
    const api = await handler(
      viewerEvent("/api/v1/auth/local/login", {
        [VIEWER_ADDRESS_HEADER]: forged,
        [ORIGIN_SECRET_HEADER]: forged,
      }),
    );
    expect(api.headers[ORIGIN_SECRET_HEADER]).toEqual({ value: ORIGIN_SECRET });
    expect(api.headers[VIEWER_ADDRESS_HEADER]).toEqual({ value: "203.0.113.9" });
    for (const uri of ["/login", "/apiary", "/_app/immutable/entry/start.js"]) {
      const other = await handler(viewerEvent(uri));
      expect(other.headers[ORIGIN_SECRET_HEADER], uri).toBeUndefined();
    }
    // The API function is linked to that same secret, so it can check it.
    const build = ev.builds.find((b) => b.functionID === "Api")!;
    expect(build.links.ApiOriginSecret).toMatchObject({ value: ORIGIN_SECRET });
  });

  it("adds CSP, nosniff, referrer policy, no framing and HSTS to every response of the router", () => {
    const policies = ev.ofType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
    expect(policies).toHaveLength(1);
    const config = policies[0]!.inputs.securityHeadersConfig;
    expect(config).toMatchObject({
      contentSecurityPolicy: {
        contentSecurityPolicy: SECURITY_HEADERS["content-security-policy"],
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: "DENY", override: true },
      referrerPolicy: { referrerPolicy: "same-origin", override: true },
      strictTransportSecurity: { accessControlMaxAgeSec: 31_536_000, override: true },
    });
    expect(config.contentSecurityPolicy.contentSecurityPolicy).toContain("frame-ancestors 'none'");
    const distribution = ev.one("aws:cloudfront/distribution:Distribution", "RouterCdnDistribution").inputs;
    const behaviours = [distribution.defaultCacheBehavior, ...(distribution.orderedCacheBehaviors ?? [])];
    expect(behaviours.map((b) => b.responseHeadersPolicyId)).toEqual(
      behaviours.map(() => `${policies[0]!.name}-id`),
    );
  });
});

describe.skipIf(!ready)("the SST app's stage policy", () => {
  it("retains data and protects production stages, and removes other stages", async () => {
    const { pathToFileURL } = await import("node:url");
    (globalThis as Record<string, unknown>).$config ??= (c: unknown) => c;
    const config = (await import(pathToFileURL(join(repoRoot, "sst.config.ts")).href)).default as {
      app(input: { stage: string }): { removal: string; protect: boolean };
    };
    expect(config.app({ stage: "production" })).toMatchObject({ removal: "retain", protect: true });
    expect(config.app({ stage: "pr-42" })).toMatchObject({ removal: "remove", protect: false });
  });

  it("refuses to deploy a stage whose ApiOriginSecret was never set", async () => {
    await expect(evaluateSstConfig({ stage: "test", runtimeConfig })).rejects.toThrow(
      /Set a value for ApiOriginSecret with `sst secret set ApiOriginSecret <value>`/,
    );
  }, 120_000);

  it("refuses an ApiOriginSecret too short to be a secret", async () => {
    await expect(
      evaluateSstConfig({ stage: "test", runtimeConfig, secrets: { ApiOriginSecret: "hunter2" } }),
    ).rejects.toThrow(/ApiOriginSecret must be 32-256 characters/);
  }, 120_000);

  it("turns on table deletion protection and a secret recovery window on production", async () => {
    const ev = await evaluateSstConfig({ stage: "production", runtimeConfig, secrets });
    expect(ev.one("aws:dynamodb/table:Table", "TableTable").inputs.deletionProtectionEnabled).toBe(true);
    const windows = ev.ofType("aws:secretsmanager/secret:Secret").map((s) => s.inputs.recoveryWindowInDays);
    expect(new Set(windows)).toEqual(new Set([30]));
  }, 120_000);
});
