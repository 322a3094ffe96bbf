import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  adoptDevEnvironment,
  documentClient,
  dynamoClient,
  endpointsFromEnv,
  fileSecretStore,
  linkedResources,
  loadRuntimeConfig,
  type SecretStore,
  secretStoreFor,
  secretsManagerClient,
  sqsClient,
} from "@ztix/aws";
import {
  AppError,
  createLogger,
  describeIssues,
  type RouteServerConfig,
  type RuntimeConfig,
  servedNetworkSuffixes,
} from "@ztix/core";
import { createService, type DataService, desiredMembersOfNetwork, routeServerState } from "@ztix/data";
import {
  buildDesiredTree,
  DIGEST_FILE_NAME,
  digestFileText,
  loadPolicyData,
  memberOf,
  type PolicyContext,
  RouteServerConnections,
  type RouteServerMember,
  reconcileRouteServer,
  renderMainConfig,
  routeServerMemberSchema,
  servedNetworks,
  treeDigest,
  withPolicyData,
} from "@ztix/route-servers";
import { listRouteServers, reconcileRouteServerNow, type WorkflowDeps } from "@ztix/workflow";
import { z } from "zod";

const USAGE = `usage: npm run route-servers -- <command> [options]

commands:
  status [RS]                 per route server: in sync / drifted / in doubt, revision, last
                              reconcile, member count, pending reconcile, last error
  diff RS                     what a reconcile would change on RS (reads the box over SSH; changes nothing)
  reconcile RS [--dry-run]    asks the worker for a reconcile of RS (through the queue, so never two
                              at once) and waits for it; --dry-run prints the diff instead
             [--no-wait]      return once the reconcile is queued
  render --rs RS [--members FILE] --out DIR
                              writes policy.conf, members/*.conf and an example bird.conf including
                              them (a preview or a lab); --members takes a JSON array like
                              [{"asn":64501,"node_id":"a000000001","network":"000001","ipv4":"192.0.2.2",
                                "ipv6":"2001:db8:ffff::2","max_prefix":{"ipv4":50}}]
                              instead of reading the desired state from DynamoDB

Against a deployed stage: npx sst shell --stage X -- npm run route-servers -- ...`;

const options = {
  rs: { type: "string" },
  members: { type: "string" },
  out: { type: "string" },
  "dry-run": { type: "boolean" },
  "no-wait": { type: "boolean" },
  "wait-seconds": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** What the commands need; built lazily so `--help` and `render --members` need no stack. */
export interface RouteServersContext {
  readonly config: RuntimeConfig;
  readonly data: DataService;
  readonly secrets: SecretStore;
  readonly workflow: WorkflowDeps;
  readonly actor: string;
  close(): Promise<void>;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

class UsageError extends Error {}

/** A member as `--members` gives it (snake case, as the issue and the API write it). */
const memberInputSchema = z.strictObject({
  asn: z.number(),
  node_id: z.string(),
  network: z.string(),
  ipv4: z.string().optional(),
  ipv6: z.string().optional(),
  max_prefix: z.strictObject({ ipv4: z.number().optional(), ipv6: z.number().optional() }).optional(),
});

function parseMembersFile(path: string): RouteServerMember[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`--members ${path}: ${(e as Error).message}`);
  }
  const list = z.array(memberInputSchema).safeParse(raw);
  if (!list.success)
    throw new UsageError(`--members ${path}: ${describeIssues(list.error.issues).join("; ")}`);
  return list.data.map((m, i) => {
    const member = routeServerMemberSchema.safeParse({
      asn: m.asn,
      nodeId: m.node_id,
      network: m.network,
      ...(m.ipv4 ? { ipv4: m.ipv4 } : {}),
      ...(m.ipv6 ? { ipv6: m.ipv6 } : {}),
      ...(m.max_prefix ? { maxPrefix: m.max_prefix } : {}),
    });
    if (!member.success) {
      throw new UsageError(`--members ${path} [${i}]: ${describeIssues(member.error.issues).join("; ")}`);
    }
    return member.data;
  });
}

function routeServerOf(config: RuntimeConfig, id: string | undefined): RouteServerConfig {
  if (!id) throw new UsageError("name a route server");
  const rs = config.route_servers.find((r) => r.id === id);
  if (!rs) {
    throw new UsageError(
      `no route server ${id} in the runtime config (configured: ${config.route_servers.map((r) => r.id).join(", ") || "none"})`,
    );
  }
  return rs;
}

/** The desired members of a route server from DynamoDB, with their policy data, as a reconcile renders them. */
async function desiredMembers(
  ctx: RouteServersContext,
  rs: RouteServerConfig,
): Promise<{ members: RouteServerMember[]; context: PolicyContext }> {
  const suffixes = servedNetworkSuffixes(rs, ctx.config.networks);
  const items = (await Promise.all(suffixes.map((s) => desiredMembersOfNetwork(ctx.data, s)))).flat();
  const data = await loadPolicyData(ctx.data, ctx.config, items);
  const members = items
    .map((item) => withPolicyData(memberOf(item), item, ctx.config, data))
    .filter((m) => routeServerMemberSchema.safeParse(m).success);
  return { members, context: data.context };
}

/** Writes a route server's generated tree and an example main config including it. */
function render(
  config: RuntimeConfig,
  rs: RouteServerConfig,
  desired: { members: RouteServerMember[]; context: PolicyContext },
  out: string,
) {
  const served = new Set(servedNetworks(config, rs).map((n) => n.suffix));
  const mine = desired.members.filter((m) => served.has(m.network));
  const tree = buildDesiredTree(config, rs, mine, desired.context);
  const membersDir = join(out, "members");
  mkdirSync(membersDir, { recursive: true });
  // The example config includes the rendered files where they were written.
  const local: RouteServerConfig = {
    ...rs,
    paths: { ...rs.paths, policy_file: join(out, "policy.conf"), members_dir: membersDir },
  };
  writeFileSync(local.paths.policy_file, tree.policyText);
  const hashes = new Map<string, string>();
  for (const [name, file] of tree.members) {
    writeFileSync(join(membersDir, name), file.text);
    hashes.set(name, file.hash);
  }
  writeFileSync(join(membersDir, DIGEST_FILE_NAME), digestFileText(treeDigest(tree.policyHash, hashes)));
  writeFileSync(join(out, "bird.conf"), renderMainConfig(local));
  return {
    route_server_id: rs.id,
    out,
    files: ["bird.conf", "policy.conf", ...[...tree.members.keys()].map((n) => `members/${n}`)],
    members: tree.members.size,
    skipped_other_networks: desired.members.length - mine.length,
  };
}

async function waitForReconcile(ctx: RouteServersContext, rs: string, since: string, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const state = await routeServerState(ctx.data, rs);
    if (
      state?.lastReconcileAt &&
      state.lastReconcileAt >= since &&
      state.observedAt &&
      state.observedAt >= since
    ) {
      return {
        done: true,
        condition: state.condition,
        revision: state.revision,
        member_count: state.memberCount,
      };
    }
    if (state?.lastErrorAt && state.lastErrorAt >= since) {
      return {
        done: false,
        condition: state.condition,
        last_error_code: state.lastErrorCode,
        last_error: state.lastError,
        note: "the reconcile waits and is retried by the worker",
      };
    }
    if (Date.now() > deadline) return { done: false, note: `no reconcile finished within ${seconds} s` };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Runs one route-servers command; returns the process exit code. */
export async function runRouteServersCommand(
  argv: string[],
  context: () => RouteServersContext,
  io: CliIo,
  configOnly: () => RuntimeConfig = () => context().config,
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const [command, target, ...extra] = positionals;
    if (values.help || !command) {
      io.out(USAGE);
      return command || values.help ? 0 : 2;
    }
    if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`);
    let result: unknown;
    switch (command) {
      case "status": {
        const ctx = context();
        const all = await listRouteServers(ctx.workflow);
        const chosen = target ? all.filter((r) => r.route_server_id === target) : all;
        if (target && chosen.length === 0) routeServerOf(ctx.config, target);
        result = await Promise.all(
          chosen.map(async (r) => {
            const rs = routeServerOf(ctx.config, r.route_server_id);
            return { ...r, desired_members: (await desiredMembers(ctx, rs)).members.length };
          }),
        );
        break;
      }
      case "diff":
      case "reconcile": {
        const ctx = context();
        const rs = routeServerOf(ctx.config, target);
        if (command === "diff" || values["dry-run"]) {
          const connections = new RouteServerConnections(ctx.secrets);
          try {
            const out = await reconcileRouteServer(
              {
                config: ctx.config,
                data: ctx.data,
                secrets: ctx.secrets,
                connections,
                log: createLogger({ level: "error" }),
                now: () => new Date(),
              },
              rs.id,
              { dryRun: true },
            );
            result = { route_server_id: rs.id, ...out.diff, in_sync: isInSync(out.diff) };
          } finally {
            await connections.closeAll();
          }
          break;
        }
        const since = new Date().toISOString();
        const queued = await reconcileRouteServerNow(ctx.workflow, { type: "system", id: ctx.actor }, rs.id);
        result = values["no-wait"]
          ? { ...queued, queued: true }
          : {
              ...queued,
              ...(await waitForReconcile(ctx, rs.id, since, Number(values["wait-seconds"] ?? 120))),
            };
        break;
      }
      case "render": {
        if (target) throw new UsageError(`unexpected argument: ${target}`);
        if (!values.out) throw new UsageError("render needs --out DIR");
        const config = values.members ? configOnly() : context().config;
        const rs = routeServerOf(config, values.rs);
        const desired = values.members
          ? { members: parseMembersFile(values.members), context: {} }
          : await desiredMembers(context(), rs);
        result = render(config, rs, desired, values.out);
        break;
      }
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
    io.out(JSON.stringify(result, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith?.("ERR_PARSE_ARGS")) {
      io.err(`${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof AppError) {
      io.err(`error (${e.code}): ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function isInSync(
  diff:
    | { added: string[]; changed: string[]; removed: string[]; policy: boolean; birdBehind: boolean }
    | undefined,
) {
  return (
    !!diff &&
    !diff.added.length &&
    !diff.changed.length &&
    !diff.removed.length &&
    !diff.policy &&
    !diff.birdBehind
  );
}

/** The context from the environment: SST links (or `npm run dev`'s published ones) and runtime config. */
export function contextFromEnvironment(config?: RuntimeConfig): RouteServersContext {
  const resources = linkedResources();
  const runtime = config ?? loadRuntimeConfig();
  const data = createService({
    client: documentClient(dynamoClient(endpointsFromEnv())),
    table: resources.tableName,
  });
  const secrets =
    resources.secrets.backend === "file"
      ? fileSecretStore(resources.secrets.path)
      : secretStoreFor(resources.secrets, () => secretsManagerClient());
  const log = createLogger({ level: "warn" });
  return {
    config: runtime,
    data,
    secrets,
    workflow: {
      config: runtime,
      data,
      sqs: sqsClient(),
      queueUrl: resources.queueUrl,
      log,
      now: () => new Date(),
    },
    actor: `ops:${process.env.ZTIX_ACTOR ?? userInfo().username}`,
    async close() {},
  };
}

async function main() {
  adoptDevEnvironment();
  let ctx: RouteServersContext | undefined;
  const code = await runRouteServersCommand(
    process.argv.slice(2),
    () => {
      ctx ??= contextFromEnvironment();
      return ctx;
    },
    { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
    () => loadRuntimeConfig(),
  );
  await ctx?.close();
  process.exitCode = code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`route-servers: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
