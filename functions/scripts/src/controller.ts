/**
 * `npm run controller -- <command>`: the controller lifecycle by hand. Resources come from
 * SST links (`npx sst shell --stage X -- npm run controller -- ...`) or, locally, from the
 * SST_RESOURCE_* variables the launcher sets; runtime config from ZTIX_RUNTIME_CONFIG or
 * ./runtime-config.yaml.
 */
import { userInfo } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  adoptDevEnvironment,
  documentClient,
  dynamoClient,
  linkedResources,
  loadRuntimeConfig,
  type SecretStore,
  s3Client,
  secretStoreFor,
  secretsManagerClient,
} from "@ztix/aws";
import { isAppError, type RuntimeConfig } from "@ztix/core";
import { createService } from "@ztix/data";
import {
  type BackupDeps,
  createBackup,
  createControllerHost,
  createControllerProvider,
  type LifecycleDeps,
  listBackups,
  type MemberRepairReport,
  type PreflightReport,
  type RestoreReport,
  reloadToken,
  repairMembers,
  restoreBackup,
  restoreValidate,
  runPreflight,
} from "@ztix/zerotier";

const USAGE = `usage: npm run controller -- <command>

commands:
  preflight          check /status and /controller, reconcile the IX networks, open or close the gate
                     (--accept-new-identity: adopt a controller whose node address changed;
                     --override-restore: reopen a gate a restore holds without restore-validate's proof)
  reload-token       re-read the controller token from the secrets store, then preflight
  backup             archive controller.d/ + identity to S3 (sha256 sidecar), prune to backups.keep
  list-backups       backups of this stage, newest first
  restore <key>      verify, close the gate, write a sentinel, push, restart, validate; the gate
                     reopens only if valid
  restore-validate   the controller restarted (restore sentinel gone), preflight + reconciliation; the
                     only command that reopens a gate a restore holds; warns about members that differ
                     from DynamoDB (--repair-members: then repair them as repair-members does)
  repair-members     re-write each active member that differs from DynamoDB (missing, unauthorized,
                     other addresses) from its membership record; only while the gate is open
                     (--dry-run: list what would be written, write nothing)

Against AWS: npx sst shell --stage X -- npm run controller -- <command>`;

export interface ControllerContext extends BackupDeps, LifecycleDeps {
  secrets: SecretStore;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

function printReport(io: CliIo, report: PreflightReport | RestoreReport): number {
  io.out(JSON.stringify(report, null, 2));
  if (!report.ok)
    io.err(
      `gate closed: ${report.error?.code}: ${report.error?.message}\n  → ${report.error?.remediation ?? ""}`,
    );
  // Member drift after a restore is a warning: the gate stays open (see restoreValidate).
  const members = "members" in report ? report.members : undefined;
  if (members?.error) io.err(`warning: member check failed: ${members.error.code}: ${members.error.message}`);
  for (const d of members?.drift ?? [])
    io.err(
      `warning: ${d.code}: member ${d.nodeId} of request ${d.requestId} (AS${d.asn})\n  → ${d.remediation}`,
    );
  return report.ok ? 0 : 1;
}

function printRepair(io: CliIo, report: MemberRepairReport): number {
  io.out(JSON.stringify(report, null, 2));
  for (const o of report.outcomes.filter((o) => o.error))
    io.err(
      `member ${o.nodeId} of request ${o.requestId} (AS${o.asn}) not repaired: ${o.error?.code}: ${o.error?.message}`,
    );
  const verb = report.dryRun ? "would repair" : "repaired";
  const count = report.dryRun
    ? report.outcomes.filter((o) => o.action === "would_repair").length
    : report.repaired;
  io.err(
    `${verb} ${count} of ${report.outcomes.length} differing member(s); ${report.checked} active checked`,
  );
  return report.ok ? 0 : 1;
}

const options = {
  "accept-new-identity": { type: "boolean" },
  "override-restore": { type: "boolean" },
  "repair-members": { type: "boolean" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;
type OptionName = keyof typeof options;

/**
 * Each command, with the options and the positional arguments (what each is, for the message
 * when it is missing) it takes; anything else is a usage error.
 */
const commands: Record<string, { options: OptionName[]; args: string[] }> = {
  preflight: { options: ["accept-new-identity", "override-restore"], args: [] },
  "reload-token": { options: [], args: [] },
  backup: { options: [], args: [] },
  "list-backups": { options: [], args: [] },
  restore: { options: [], args: ["the backup key (see list-backups)"] },
  "restore-validate": { options: ["repair-members", "dry-run"], args: [] },
  "repair-members": { options: ["dry-run"], args: [] },
};

export type ControllerArgs =
  /** Print the usage: asked for (exit 0), or nothing asked (exit 2). */
  | { kind: "help"; code: 0 | 2 }
  | { kind: "usage_error"; message: string }
  | { kind: "command"; command: string; key?: string; flags: Partial<Record<OptionName, boolean>> };

const parseStrictly = (argv: string[]) =>
  parseArgs({ args: argv, options, allowPositionals: true, strict: true });

/**
 * Reads the command line without touching anything, so a typo is answered with the usage
 * before any resource, secret or controller is reached.
 */
export function parseControllerArgs(argv: string[]): ControllerArgs {
  let parsed: ReturnType<typeof parseStrictly>;
  try {
    parsed = parseStrictly(argv);
  } catch (e) {
    // Unknown options, and values given to options that take none (`--dry-run=yes`).
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      return { kind: "usage_error", message: (e as Error).message };
    }
    throw e;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === "help") return { kind: "help", code: 0 };
  if (command === undefined) {
    return Object.keys(values).length
      ? { kind: "usage_error", message: "options need a command" }
      : { kind: "help", code: 2 };
  }
  // hasOwn: `constructor` or `__proto__` are not commands either.
  const spec = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!spec) return { kind: "usage_error", message: `unknown command: ${command}` };
  for (const name of Object.keys(values) as OptionName[]) {
    if (!spec.options.includes(name))
      return { kind: "usage_error", message: `unknown option for ${command}: --${name}` };
  }
  if (args.length < spec.args.length) {
    return { kind: "usage_error", message: `${command} needs ${spec.args[args.length]}` };
  }
  if (args.length > spec.args.length)
    return { kind: "usage_error", message: `unexpected argument: ${args[spec.args.length]}` };
  if (command === "restore-validate" && values["dry-run"] && !values["repair-members"]) {
    return { kind: "usage_error", message: "--dry-run applies to --repair-members" };
  }
  return { kind: "command", command, key: args[0], flags: values };
}

/** Answers a command line that runs nothing; returns the exit code, or undefined when there is a command to run. */
function answerUsage(parsed: ControllerArgs, io: CliIo): number | undefined {
  if (parsed.kind === "help") {
    io.out(USAGE);
    return parsed.code;
  }
  if (parsed.kind === "usage_error") {
    io.err(`${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  return undefined;
}

/** Runs one controller command; returns the exit code. */
export async function runControllerCommand(
  argv: string[],
  ctx: ControllerContext,
  io: CliIo,
): Promise<number> {
  const parsed = parseControllerArgs(argv);
  const early = answerUsage(parsed, io);
  if (early !== undefined || parsed.kind !== "command") return early ?? 2;
  const { command, key, flags } = parsed;
  const dryRun = flags["dry-run"] === true;
  try {
    switch (command) {
      case "preflight":
        return printReport(
          io,
          await runPreflight({
            ...ctx,
            acceptNewIdentity: flags["accept-new-identity"] === true,
            overrideRestore: flags["override-restore"] === true,
          }),
        );
      case "reload-token":
        return printReport(io, await reloadToken(ctx));
      case "restore-validate": {
        const report = await restoreValidate(ctx);
        const code = printReport(io, report);
        // Nothing to repair (or the check itself failed, which the repair would only repeat).
        if (code !== 0 || !flags["repair-members"] || !report.members?.drift.length) return code;
        return printRepair(io, await repairMembers(ctx, { dryRun }));
      }
      case "repair-members":
        return printRepair(io, await repairMembers(ctx, { dryRun }));
      case "backup": {
        const backup = await createBackup(ctx);
        io.out(JSON.stringify(backup, null, 2));
        return 0;
      }
      case "list-backups":
        io.out(JSON.stringify(await listBackups(ctx), null, 2));
        return 0;
      case "restore":
        // parseControllerArgs has checked the key is there.
        return printReport(io, await restoreBackup(ctx, key!));
      default:
        // Unreachable: parseControllerArgs knows the same commands.
        io.err(`unknown command: ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    io.err(isAppError(e) ? `${e.code}: ${e.message}` : `failed: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

/** Builds the context from linked resources and runtime config. */
export function controllerContextFromEnvironment(
  config: RuntimeConfig = loadRuntimeConfig(),
  progress?: (m: string) => void,
) {
  const resources = linkedResources();
  const secrets = secretStoreFor(resources.secrets, () => secretsManagerClient());
  const data = createService({ client: documentClient(dynamoClient()), table: resources.tableName });
  const ctx: ControllerContext = {
    config,
    data,
    secrets,
    provider: createControllerProvider(config.controller, secrets),
    host: createControllerHost(config.controller, secrets),
    s3: s3Client(),
    bucket: resources.bucketName,
    stage: resources.stage,
    actor: { actorType: "admin", actorId: `cli:${userInfo().username}` },
    onProgress: progress,
  };
  return ctx;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const io: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t) };
  const started = Date.now();
  const progress = (m: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${m}`);
  let code = 1;
  // Help and usage errors are answered before the environment is read: they need none of it.
  const early = answerUsage(parseControllerArgs(process.argv.slice(2)), io);
  if (early !== undefined) process.exit(early);
  try {
    adoptDevEnvironment();
    const ctx = controllerContextFromEnvironment(undefined, progress);
    code = await runControllerCommand(process.argv.slice(2), ctx, io);
    await ctx.provider.close();
    await ctx.host.close();
  } catch (e) {
    io.err(isAppError(e) ? `${e.code}: ${e.message}` : String((e as Error).message ?? e));
  }
  process.exit(code);
}
