import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type AwsEndpoints,
  dynamoClient,
  endpointsFromEnv,
  publishDevEnvironment,
  resourceEnv,
  type SecretsBackend,
  s3Client,
  sqsClient,
} from "@ztix/aws";
import { createLogger, RECONCILE_SCHEDULE_MINUTES } from "@ztix/core";
import {
  bootstrapResources,
  defaultResourceNames,
  type RunningService,
  startDynamoDbLocal,
  startFauxqsServer,
} from "@ztix/local-stack";
import { runScheduledReconcile, sweepStuckRequests, workflowDepsFromEnvironment } from "@ztix/workflow";
import { createApp } from "../../../api/src/app.ts";
import { depsFromEnvironment } from "../../../api/src/deps.ts";
import { type LocalServer, serveLocal } from "../../../api/src/server.ts";
import { startLocalWorker } from "../../../worker/src/local.ts";
import { preflightLocal, startLocalController } from "./controller.ts";
import { demoAccounts, prepareDemo, startStandIn } from "./demo.ts";
import { defaultPorts, ensureLocalFiles, type LocalPorts } from "./local-files.ts";

export interface LocalRuntime {
  url: string;
  stop(): Promise<void>;
}

const say = (msg: string) => console.log(`[ztix] ${msg}`);

/** Builds the SPA once if there is no build yet (later builds: `npm run build:web`). */
function ensureSpaBuild(root: string): string | undefined {
  const buildDir = join(root, "web", "build");
  if (existsSync(join(buildDir, "index.html"))) return buildDir;
  if (!existsSync(join(root, "web", "svelte.config.js"))) return undefined;
  say("building the SPA (first run)…");
  const out = spawnSync("npm", ["run", "build", "-w", "@ztix/web"], { cwd: root, stdio: "inherit" });
  if (out.status !== 0) {
    say("the SPA build failed (npm run build -w @ztix/web): serving the API only");
    return undefined;
  }
  return buildDir;
}

/**
 * Starts the local product. In `local` mode (default) it runs the embedded stack itself;
 * with ZTIX_MODE=localstack it uses LocalStack's endpoints and Secrets Manager instead.
 */
export async function startLocalRuntime(
  options: { dir?: string; ports?: LocalPorts; root?: string; spa?: boolean } = {},
): Promise<LocalRuntime> {
  const started = performance.now();
  const root = resolve(options.root ?? ".");
  const dir = resolve(options.dir ?? join(root, ".ztix"));
  const ports = options.ports ?? defaultPorts;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const files = ensureLocalFiles(dir, ports);
    process.env.ZTIX_RUNTIME_CONFIG = files.configPath;
    const baseEndpoints = endpointsFromEnv();
    let endpoints: AwsEndpoints = baseEndpoints;
    if (baseEndpoints.mode === "local") {
      say("starting DynamoDB Local and fauxqs…");
      const [dynamo, fauxqs]: RunningService[] = await Promise.all([
        startDynamoDbLocal({ dataDir: join(dir, "dynamodb") }),
        startFauxqsServer(),
      ]);
      stops.push(dynamo.stop, fauxqs.stop);
      endpoints = { ...baseEndpoints, dynamodb: dynamo.endpoint, sqs: fauxqs.endpoint, s3: fauxqs.endpoint };
      process.env.ZTIX_MODE = "local";
      process.env.ZTIX_DYNAMODB_ENDPOINT = dynamo.endpoint;
      process.env.ZTIX_SQS_ENDPOINT = fauxqs.endpoint;
      process.env.ZTIX_S3_ENDPOINT = fauxqs.endpoint;
    }
    const created = await bootstrapResources(
      { dynamo: dynamoClient(endpoints), sqs: sqsClient(endpoints), s3: s3Client(endpoints) },
      defaultResourceNames,
    );
    const secrets: SecretsBackend =
      endpoints.mode === "localstack"
        ? { backend: "secretsmanager", prefix: "ztix/local/" }
        : { backend: "file", path: files.secretsPath };
    const linkedEnv = resourceEnv({
      tableName: created.tableName,
      queueUrl: created.queueUrl,
      dlqUrl: created.dlqUrl,
      bucketName: created.bucketName,
      secrets,
      stage: "local",
    });
    Object.assign(process.env, linkedEnv);
    // `npm run users|controller|sweeper` in another terminal find this running stack through it.
    const published = publishDevEnvironment(
      {
        ...linkedEnv,
        ZTIX_MODE: endpoints.mode,
        ...(endpoints.dynamodb ? { ZTIX_DYNAMODB_ENDPOINT: endpoints.dynamodb } : {}),
        ...(endpoints.sqs ? { ZTIX_SQS_ENDPOINT: endpoints.sqs } : {}),
        ...(endpoints.s3 ? { ZTIX_S3_ENDPOINT: endpoints.s3 } : {}),
        ...(endpoints.secretsmanager ? { ZTIX_SECRETSMANAGER_ENDPOINT: endpoints.secretsmanager } : {}),
        ZTIX_RUNTIME_CONFIG: resolve(files.configPath),
      },
      join(dir, "dev-env.json"),
    );
    stops.push(async () => published());

    const deps = depsFromEnvironment();
    const emulator = await startLocalController(
      deps.config,
      dir,
      await deps.secrets.get(deps.config.controller.token.secret),
    );
    if (emulator) {
      stops.push(emulator.stop);
      say(`controller emulator ${emulator.address} at ${emulator.url} (state in ${emulator.homeDir})`);
    }
    const preflight = await preflightLocal(deps.config, deps.data, deps.secrets);
    if (preflight.ok) {
      say(`controller gate open: ${preflight.networks.map((n) => `${n.networkId} ${n.action}`).join(", ")}`);
    } else {
      say(
        `controller gate CLOSED (${preflight.error?.code}): ${preflight.error?.message}; jobs wait until \`npm run controller -- preflight\` passes`,
      );
    }
    deps.log = createLogger({
      base: { service: "api", stage: "local" },
      level: (process.env.LOG_LEVEL as "info") ?? "warn",
    });
    const standIn = await startStandIn(
      deps.config,
      dir,
      await deps.secrets.get(deps.config.auth.peeringdb.client_secret.secret),
    );
    if (standIn) stops.push(standIn.stop);
    const signInText = await prepareDemo(
      { data: deps.data, config: deps.config, actor: "dev-launcher" },
      demoAccounts(files.secrets),
      standIn,
    );

    const worker = startLocalWorker({ config: deps.config });
    stops.push(worker.stop);
    // The scheduled sweeper of AWS, every minute here: a lost enqueue never strands a request.
    const sweeperDeps = workflowDepsFromEnvironment({ config: deps.config, service: "sweeper" });
    sweeperDeps.log = deps.log;
    const sweep = setInterval(() => void sweepStuckRequests(sweeperDeps).catch(() => undefined), 60_000);
    stops.push(async () => clearInterval(sweep));
    // The scheduled reconcile of AWS: at start, then every RECONCILE_SCHEDULE_MINUTES.
    const reconcileAll = () =>
      void runScheduledReconcile(sweeperDeps).catch((e: unknown) =>
        sweeperDeps.log.warn("scheduled reconcile failed", { err: e }),
      );
    if (deps.config.route_servers.length > 0) reconcileAll();
    const reconcileTimer = setInterval(reconcileAll, RECONCILE_SCHEDULE_MINUTES * 60_000);
    stops.push(async () => clearInterval(reconcileTimer));

    const staticDir = options.spa === false ? undefined : ensureSpaBuild(root);
    const server: LocalServer = await serveLocal({ app: createApp(deps), port: ports.api, staticDir });
    stops.push(server.close);

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    say(`ready in ${seconds}s: ${server.url} (API ${server.url}/api/v1/health)`);
    if (!staticDir) say("the SPA is not built yet: npm run build:web");
    say(`data in ${dir}; runtime config ${files.configPath}; Ctrl-C stops everything`);
    if (signInText) say(`sign in at ${server.url}/login with:\n${signInText}`);
    return { url: server.url, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
