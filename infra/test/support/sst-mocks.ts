import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Evaluates sst.config.ts offline, the way SST's own component tests do: Pulumi runs with
 * mocks (every resource is recorded instead of created), the globals the SST CLI normally
 * defines are set here, and the CLI's JSON-RPC calls (Runtime.Build, Provider.Aws.Bootstrap)
 * are answered by a local HTTP server named by SST_SERVER. Needs `sst install` (.sst/platform);
 * relies on SST internals, which is why `sst` is pinned exactly.
 */

export const repoRoot = resolve(import.meta.dirname, "../../..");
export const platformDir = join(repoRoot, ".sst/platform");

export function platformInstalled(): boolean {
  return existsSync(join(platformDir, "node_modules/@pulumi/pulumi/package.json"));
}

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

export interface RecordedBuild {
  functionID: string;
  handler: string;
  links: Record<string, Record<string, unknown>>;
  copyFiles: { from: string; to: string }[];
  properties: Record<string, any>;
}

export interface Evaluation {
  resources: RecordedResource[];
  builds: RecordedBuild[];
  outputs: Record<string, unknown>;
  /** Resources of one Pulumi type. */
  ofType(type: string): RecordedResource[];
  /** The one resource with this type and logical name. */
  one(type: string, name: string): RecordedResource;
}

/** How Pulumi marks a secret value in the inputs it hands to mocks. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The inputs with every secret-wrapped value replaced by the value itself, so tests can read them. */
function revealSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === "object") {
    if (value[SECRET_SIG_KEY] === SECRET_SIG) return revealSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** Computed attributes AWS would fill in, so components that read them get plausible values. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const physical = inputs.name ?? name;
  const state: Record<string, any> = { ...inputs, arn: `arn:aws:mock:${REGION}:${ACCOUNT}:${name}` };
  switch (type) {
    case "aws:lambda/function:Function":
      return { ...state, name: physical, arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}` };
    case "aws:lambda/functionUrl:FunctionUrl":
      return { ...state, functionUrl: `https://${name.toLowerCase()}.lambda-url.${REGION}.on.aws/` };
    case "aws:sqs/queue:Queue":
      return {
        ...state,
        name: physical,
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`,
        arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${physical}`,
      };
    case "aws:s3/bucket:Bucket":
      return {
        ...state,
        bucket: inputs.bucket ?? name.toLowerCase(),
        arn: `arn:aws:s3:::${name.toLowerCase()}`,
      };
    case "aws:dynamodb/table:Table":
      return { ...state, name: physical, streamArn: "" };
    case "aws:secretsmanager/secret:Secret":
      return { ...state, arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${physical}-AbCdEf` };
    case "aws:cloudfront/distribution:Distribution":
      return { ...state, domainName: "d111111abcdef8.cloudfront.net", hostedZoneId: "Z2FDTNDATAQYW2" };
    case "aws:acm/certificate:Certificate": {
      const domains = [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])];
      return {
        ...state,
        domainValidationOptions: domains.map((domainName: string) => ({
          domainName,
          resourceRecordName: `_x1.${domainName}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: "_x2.acm-validations.aws.",
        })),
      };
    }
    case "aws:ec2/eip:Eip":
      return { ...state, publicIp: "203.0.113.10" };
    default:
      return state;
  }
}

/** Answers Pulumi invokes (data sources) the components make. */
function mockCall(token: string, inputs: Record<string, any>): Record<string, any> {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      return { name: REGION, region: REGION, id: REGION };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "test", id: ACCOUNT };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return {
        names: ["us-east-1a", "us-east-1b", "us-east-1c"],
        zoneIds: ["use1-az1", "use1-az2", "use1-az4"],
      };
    case "aws:route53/getZone:getZone":
      return { zoneId: "Z0MOCKZONE", id: "Z0MOCKZONE", name: inputs.name };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // Keep the statements readable so tests can assert permissions per function.
      return {
        json: JSON.stringify({ Version: "2012-10-17", Statement: inputs.statements ?? [] }),
        statements: inputs.statements ?? [],
      };
    default:
      return inputs;
  }
}

/**
 * The CLI side of SST's JSON-RPC: builds are recorded and answered with a stub bundle. One
 * server per evaluation, never closed (only unref'd): a failed program keeps resolving after
 * its evaluation has thrown, and a closed server would answer its late calls with ECONNRESET,
 * unhandled rejections that land in whatever test runs next.
 */
async function startRpcServer(workDir: string, builds: RecordedBuild[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [any] };
      const args = params[0] ?? {};
      let result: unknown;
      if (method === "Runtime.Build") {
        builds.push(args as RecordedBuild);
        const out = join(workDir, "builds", args.functionID);
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, "index.mjs"), "export const handler = async () => {};\n");
        result = { handler: "index.handler", out, errors: [], sourcemaps: [] };
      } else if (method === "Provider.Aws.Bootstrap") {
        result = {
          asset: "sst-asset-mock",
          assetEcrRegistryId: ACCOUNT,
          assetEcrUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`,
          state: "sst-state-mock",
          appsyncHttp: "",
          appsyncRealtime: "",
        };
      } else {
        res.end(JSON.stringify({ error: `rpc: can't find method ${method}` }));
        return;
      }
      res.end(JSON.stringify({ result }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  server.unref();
  return server;
}

/**
 * Runs the config's `run()` for `stage` against a scratch root holding the stage's runtime
 * config and a stand-in web build (the functions' handler files need not exist: builds are
 * answered here). Resolves once the resource graph stops growing.
 */
export async function evaluateSstConfig(options: {
  stage: string;
  runtimeConfig: string;
  /** SST secret values, as `sst secret set` would provide them (the CLI passes SST_SECRET_<Name>). */
  secrets?: Record<string, string>;
}): Promise<Evaluation> {
  const root = mkdtempSync(join(tmpdir(), "ztix-sst-"));
  writeFileSync(join(root, `runtime-config.${options.stage}.yaml`), options.runtimeConfig);
  mkdirSync(join(root, "web/build"), { recursive: true });
  writeFileSync(join(root, "web/build/index.html"), "<!doctype html><title>ZT-IX</title>");
  const workDir = join(root, ".sst");
  mkdirSync(workDir, { recursive: true });

  const resources: RecordedResource[] = [];
  const builds: RecordedBuild[] = [];
  const server = await startRpcServer(workDir, builds);
  process.env.SST_SERVER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const requirePlatform = createRequire(join(platformDir, "package.json"));
  const pulumi = requirePlatform(
    "@pulumi/pulumi",
  ) as typeof import("../../../.sst/platform/node_modules/@pulumi/pulumi");
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: revealSecrets(args.inputs) });
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) };
      },
      call: (args) => mockCall(args.token, args.inputs),
    },
    "ztix",
    options.stage,
    false,
  );

  const production = ["production", "prod"].includes(options.stage);
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, {
    $app: {
      name: "ztix",
      stage: options.stage,
      removal: production ? "retain" : "remove",
      protect: production,
      providers: { aws: { region: REGION } },
    },
    $dev: false,
    $cli: {
      command: "deploy",
      paths: { root, work: workDir, platform: platformDir },
      state: { version: {} },
    },
    $util: pulumi,
    $output: pulumi.output,
    $apply: pulumi.output,
    $resolve: pulumi.all,
    $interpolate: pulumi.interpolate,
    $concat: pulumi.concat,
    $jsonParse: pulumi.jsonParse,
    $jsonStringify: pulumi.jsonStringify,
    $secrets: {},
    $config: (config: unknown) => config,
  });
  const importPlatform = (p: string) => import(pathToFileURL(join(platformDir, p)).href);
  const component = await importPlatform("src/components/component.ts");
  const link = await importPlatform("src/components/link.ts");
  Object.assign(g, {
    $transform: component.$transform,
    $asset: component.$asset,
    $linkable: link.Link.makeLinkable,
    sst: await importPlatform("src/components/index.ts"),
    aws: requirePlatform("@pulumi/aws"),
  });

  const previousCwd = process.cwd();
  const secretVars = Object.keys(options.secrets ?? {}).map((name) => `SST_SECRET_${name}`);
  const previousSecrets = secretVars.map((v) => process.env[v]);
  for (const [name, value] of Object.entries(options.secrets ?? {}))
    process.env[`SST_SECRET_${name}`] = value;
  // A failing apply surfaces only as an unhandled rejection; fail the evaluation with it.
  let onRejection: ((reason: unknown) => void) | undefined;
  // SST runs the program from the app root; some components resolve paths against the cwd.
  process.chdir(root);
  try {
    const config = (await import(pathToFileURL(join(repoRoot, "sst.config.ts")).href)).default as {
      run(): Promise<Record<string, unknown>>;
    };
    const failed = new Promise<never>((_, fail) => {
      onRejection = (reason: unknown) => fail(reason);
      process.on("unhandledRejection", onRejection);
    });
    const returned = await Promise.race([config.run(), failed]);
    const outputs = (await Promise.race([
      new Promise((ok) => pulumi.output(returned).apply(ok)),
      failed,
    ])) as Record<string, unknown>;
    await Promise.race([settle(() => resources.length + builds.length), failed]);
    return {
      resources,
      builds,
      outputs,
      ofType: (type) => resources.filter((r) => r.type === type),
      one(type, name) {
        const found = resources.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
        return found[0]!;
      },
    };
  } catch (e) {
    // The rest of a failed program keeps resolving (and calling the RPC server): let it run
    // out here, its further errors swallowed, so it cannot break the next evaluation.
    await settle(() => resources.length + builds.length);
    throw e;
  } finally {
    secretVars.forEach((v, i) => {
      if (previousSecrets[i] === undefined) delete process.env[v];
      else process.env[v] = previousSecrets[i];
    });
    process.chdir(previousCwd);
    if (onRejection) process.off("unhandledRejection", onRejection);
  }
}

/** Waits until `count()` has not changed for a few event-loop turns (outputs resolve lazily). */
async function settle(count: () => number): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 5) {
    await new Promise((r) => setTimeout(r, 50));
    const now = count();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}
