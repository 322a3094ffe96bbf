import { randomBytes } from "node:crypto";
import { AppError, type RouteServerConfig } from "@ztix/core";
import { sha256Hex } from "./hash.ts";
import { includeLines } from "./render/main.ts";
import { shellQuote as q, type RemoteShell } from "./ssh.ts";

/** Where an apply stopped; persisted as `lastErrorStage`. */
export type ApplyStage =
  | "lock"
  | "connect"
  | "prepare"
  | "upload"
  | "parse_check"
  | "swap"
  | "configure_check"
  | "configure"
  | "verify"
  | "confirm";

/** An apply that failed at `stage`; `message` carries BIRD's (or SSH's) own words. */
export class ApplyError extends AppError {
  readonly stage: ApplyStage;
  constructor(stage: ApplyStage, message: string, details: Record<string, unknown> = {}) {
    super("route_server_apply_failed", message, { stage, ...details }, 502);
    this.stage = stage;
  }
}

export interface ApplyPlan {
  routeServer: RouteServerConfig;
  policyText: string;
  /** The member's file; `text: null` removes it. `protocols` must exist afterwards (or be gone). */
  member: { fileName: string; text: string | null; protocols: string[] };
  configureTimeoutSeconds: number;
}

export interface ApplyOutcome {
  policyChanged: boolean;
  /** Files an earlier, interrupted apply left unconfirmed, put back before this one started. */
  recovered: string[];
  /** Bytes sent to the route server (staged files and the check config). */
  bytesUploaded: number;
}

/** Test seam: lets a test act between stages (e.g. drop the connection after `configure`). */
export interface ApplyHooks {
  afterStage?(stage: ApplyStage): void | Promise<void>;
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";

/**
 * Applies one member change to one route server so a broken config never stays live:
 * stage → `bird -p` the candidate → swap files atomically (keeping the previous ones) →
 * `configure check` → `configure timeout N` → the member's protocols exist (or are gone) →
 * `configure confirm`. Any failure restores the previous files, undoes or re-reads the
 * config, and throws an ApplyError naming the stage.
 */
export async function applyToRouteServer(
  shell: RemoteShell,
  plan: ApplyPlan,
  hooks: ApplyHooks = {},
): Promise<ApplyOutcome> {
  const { paths, commands } = plan.routeServer;
  const txn = `ztix-${Date.now()}-${randomBytes(4).toString("hex")}`;
  const stage = `${paths.staging_dir}/${txn}`;
  const checkConf = `${dirOf(paths.main_config)}/.${txn}.check`;
  const liveMember = `${paths.members_dir}/${plan.member.fileName}`;
  const birdc = (args: string) => `${q(commands.birdc)} -v -s ${q(paths.control_socket)} ${args}`;
  let bytesUploaded = 0;
  let current: ApplyStage = "prepare";
  let swapped = false;
  let reconfigured = false;
  let policyChanged = false;
  let recovered: string[] = [];
  // Beside each swapped live file: `.ztix-prev` (its previous content) or `.ztix-absent` (it
  // did not exist). Names BIRD's `*.conf` include skips. They live until the confirm.
  const markers = [liveMember, paths.policy_file].flatMap((f) => [`${f}.ztix-prev`, `${f}.ztix-absent`]);

  const run = async (command: string, stdin?: string) => {
    if (stdin !== undefined) bytesUploaded += Buffer.byteLength(stdin);
    const r = await shell.exec(command, { stdin });
    if (r.code !== 0) {
      throw new ApplyError(current, birdMessage(`${r.stdout}\n${r.stderr}`) || `exit code ${r.code}`);
    }
    return r.stdout;
  };
  const birdCommand = async (args: string) => {
    const out = await run(birdc(args));
    // birdc exits 1 on errors, but also look at reply codes: 8xxx/9xxx are failures.
    if (/^[89]\d{3}[ -]/m.test(out)) throw new ApplyError(current, birdMessage(out));
    return out;
  };
  const step = async (s: ApplyStage, fn: () => Promise<void>) => {
    current = s;
    await fn();
    await hooks.afterStage?.(s);
  };

  try {
    let mainText = "";
    await step("prepare", async () => {
      // Under the lock, any other staging tree or check config is an interrupted apply's.
      await run(
        `rm -rf ${q(paths.staging_dir)}/ztix-* ${q(dirOf(paths.main_config))}/.ztix-*.check && ` +
          `mkdir -p ${q(`${stage}/members`)} ${q(paths.members_dir)} ${q(dirOf(paths.policy_file))}`,
      );
      // Markers left behind mean an apply lost its connection before confirming: BIRD has
      // reverted (or will), so the files go back too, rather than going live unverified
      // with this apply's configure.
      recovered = (await run(recoverScript(paths.members_dir, paths.policy_file)))
        .split("\n")
        .filter(Boolean);
      mainText = await run(`cat ${q(paths.main_config)}`);
      for (const line of includeLines(plan.routeServer)) {
        if (!mainText.includes(line)) {
          throw new ApplyError("prepare", `${paths.main_config} must contain the line: ${line}`);
        }
      }
      const live = await run(`if [ -f ${q(paths.policy_file)} ]; then sha256sum ${q(paths.policy_file)}; fi`);
      policyChanged = live.split(/\s/)[0] !== sha256Hex(plan.policyText);
    });

    await step("upload", async () => {
      // The candidate members directory is a copy of the live one with this member changed.
      await run(`cp -Rp ${q(`${paths.members_dir}/.`)} ${q(`${stage}/members/`)}`);
      if (plan.member.text === null) await run(`rm -f ${q(`${stage}/members/${plan.member.fileName}`)}`);
      else await run(`cat > ${q(`${stage}/members/${plan.member.fileName}`)}`, plan.member.text);
      const policyPath = policyChanged ? `${stage}/policy.conf` : paths.policy_file;
      if (policyChanged) await run(`cat > ${q(policyPath)}`, plan.policyText);
      const [policyLine, membersLine] = includeLines(plan.routeServer);
      const candidate = mainText
        .replace(policyLine, `include "${policyPath}";`)
        .replace(membersLine, `include "${stage}/members/*.conf";`);
      await run(`cat > ${q(checkConf)}`, candidate);
    });

    await step("parse_check", async () => {
      await run(`${q(commands.bird)} -p -c ${q(checkConf)} 2>&1`);
    });

    await step("swap", async () => {
      swapped = true;
      // Keep the previous files beside the live ones (names BIRD's `*.conf` include skips),
      // then rename into place: a rename is atomic within one directory.
      const swapOne = (staged: string | null, live: string) =>
        [
          `if [ -f ${q(live)} ]; then cp -p ${q(live)} ${q(`${live}.ztix-prev`)}; else : > ${q(`${live}.ztix-absent`)}; fi`,
          staged === null
            ? `rm -f ${q(live)}`
            : `cp ${q(staged)} ${q(`${live}.ztix-new`)} && mv -f ${q(`${live}.ztix-new`)} ${q(live)}`,
        ].join(" && ");
      const cmds = [
        swapOne(plan.member.text === null ? null : `${stage}/members/${plan.member.fileName}`, liveMember),
      ];
      if (policyChanged) cmds.push(swapOne(`${stage}/policy.conf`, paths.policy_file));
      await run(cmds.join(" && "));
    });

    await step("configure_check", async () => {
      await birdCommand("configure check");
    });

    await step("configure", async () => {
      reconfigured = true;
      await birdCommand(`configure timeout ${plan.configureTimeoutSeconds}`);
    });

    await step("verify", async () => {
      const out = await birdCommand("show protocols");
      const names = new Set(
        out.split("\n").map(
          (l) =>
            l
              .replace(/^\d{4}[ -]/, "")
              .trim()
              .split(/\s+/)[0],
        ),
      );
      const removing = plan.member.text === null;
      const wrong = plan.member.protocols.filter((p) => names.has(p) === removing);
      if (wrong.length > 0) {
        throw new ApplyError(
          "verify",
          `${removing ? "still present" : "missing"} after configure: ${wrong.join(", ")}`,
        );
      }
    });

    await step("confirm", async () => {
      // Markers go first: should the confirm then not arrive, BIRD reverts and the new files
      // stay (a retry re-applies them); the reverse order could undo a confirmed change later.
      await run(`rm -f ${markers.map(q).join(" ")}`);
      await birdCommand("configure confirm");
    });
  } catch (e) {
    const failure =
      e instanceof ApplyError ? e : new ApplyError(current, e instanceof Error ? e.message : String(e));
    const rollbackError = await rollback().catch((r: unknown) =>
      r instanceof Error ? r.message : String(r),
    );
    if (rollbackError) failure.details.rollbackError = rollbackError;
    throw failure;
  } finally {
    await shell.exec(`rm -rf ${q(stage)} ${q(checkConf)}`).catch(() => undefined);
  }
  return { policyChanged, bytesUploaded, recovered };

  /** Puts the previous files back and brings BIRD back to them. Returns a problem, or undefined. */
  async function rollback(): Promise<string | undefined> {
    if (!swapped) return undefined;
    const restored = await shell.exec(recoverScript(paths.members_dir, paths.policy_file));
    if (restored.code !== 0) return `restoring files failed: ${restored.stderr.trim()}`;
    if (!reconfigured) return undefined;
    // Undo returns to the config BIRD ran before; if it cannot, re-read the restored files.
    const undo = await shell.exec(birdc("configure undo"));
    if (undo.code === 0 && !/^[89]\d{3}[ -]/m.test(undo.stdout)) return undefined;
    const reread = await shell.exec(birdc("configure"));
    if (reread.code === 0 && !/^[89]\d{3}[ -]/m.test(reread.stdout)) return undefined;
    return `BIRD did not return to the previous config: ${birdMessage(reread.stdout + reread.stderr)}`;
  }
}

// Shell parameter expansion (`${m%suffix}`), escaped from the template literal.
const RECOVER_BODY = `  [ -e "$m" ] || continue
  case "$m" in
    *.ztix-prev) mv -f "$m" "\${m%.ztix-prev}" ;;
    *.ztix-absent) rm -f "\${m%.ztix-absent}" "$m" ;;
  esac
  echo "$m"`;

/**
 * Puts every marked file back: `.ztix-prev` over the live file, `.ztix-absent` removes it.
 * Prints each marker it acted on.
 */
function recoverScript(membersDir: string, policyFile: string): string {
  const globs = [`${q(membersDir)}/*.ztix-prev`, `${q(membersDir)}/*.ztix-absent`];
  const policy = [q(`${policyFile}.ztix-prev`), q(`${policyFile}.ztix-absent`)];
  return `for m in ${[...globs, ...policy].join(" ")}; do\n${RECOVER_BODY}\ndone`;
}

/** BIRD's own words from birdc/bird output, without the banner and reply codes. */
export function birdMessage(output: string): string {
  return output
    .split("\n")
    .map((l) => l.replace(/^\d{4}[ -]/, "").trim())
    .filter((l) => l && !/^BIRD [\d.]+ ready\.$/.test(l) && !l.startsWith("Reading configuration"))
    .join("\n")
    .slice(0, 2000);
}
