/**
 * `npm run controller -- <command>`: the controller lifecycle by hand. Resources come from
 * SST links (`npx sst shell --stage X -- npm run controller -- ...`) or, locally, from the
 * SST_RESOURCE_* variables the launcher sets; runtime config from ZTIX_RUNTIME_CONFIG or
 * ./runtime-config.yaml.
 */
import { userInfo } from "node:os";
import { pathToFileURL } from "node:url";
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
                     (--accept-new-identity: adopt a controller whose node address changed)
  reload-token       re-read the controller token from the secrets store, then preflight
  backup             archive controller.d/ + identity to S3 (sha256 sidecar), prune to backups.keep
  list-backups       backups of this stage, newest first
  restore <key>      verify, close the gate, push, restart, validate; the gate reopens only if valid
  restore-validate   preflight + reconciliation after a manual restore; warns about members that differ
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

/** Options each command accepts; anything else is a usage error. */
const commandFlags: Record<string, string[]> = {
  preflight: ["--accept-new-identity"],
  "restore-validate": ["--repair-members", "--dry-run"],
  "repair-members": ["--dry-run"],
};

/** Runs one controller command; returns the exit code. */
export async function runControllerCommand(
  argv: string[],
  ctx: ControllerContext,
  io: CliIo,
): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith("--") && a !== "--help"));
  const [command, ...args] = argv.filter((a) => !flags.has(a));
  for (const flag of flags) {
    if (!commandFlags[command ?? ""]?.includes(flag)) {
      io.err(`unknown option for ${command ?? "(no command)"}: ${flag}\n\n${USAGE}`);
      return 2;
    }
  }
  const dryRun = flags.has("--dry-run");
  if (command === "restore-validate" && dryRun && !flags.has("--repair-members")) {
    io.err(`--dry-run applies to --repair-members\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (command) {
      case "preflight":
        return printReport(
          io,
          await runPreflight({ ...ctx, acceptNewIdentity: flags.has("--accept-new-identity") }),
        );
      case "reload-token":
        return printReport(io, await reloadToken(ctx));
      case "restore-validate": {
        const report = await restoreValidate(ctx);
        const code = printReport(io, report);
        // Nothing to repair (or the check itself failed, which the repair would only repeat).
        if (code !== 0 || !flags.has("--repair-members") || !report.members?.drift.length) return code;
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
      case "restore": {
        const key = args[0];
        if (!key) {
          io.err("restore needs the backup key (see list-backups)");
          return 2;
        }
        return printReport(io, await restoreBackup(ctx, key));
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command ? 0 : 2;
      default:
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
  const first = process.argv[2];
  if (!first || ["help", "--help", "-h"].includes(first)) {
    io.out(USAGE);
    process.exit(first ? 0 : 2);
  }
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
