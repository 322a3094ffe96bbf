import { AppError, type RouteServerConfig } from "@ztix/core";
import type { ExecResult } from "@ztix/ssh";
import { shellQuote as q } from "@ztix/ssh";
import {
  BirdCode,
  birdcCommand,
  birdError,
  birdWords,
  hasCode,
  parseBirdOutput,
  parseErrorLocation,
  protocolNames,
} from "./box/birdc.ts";
import { RESTORED, restoreScript, SWAPPED, stageAndSwapScript, writeFilesScript } from "./box/scripts.ts";
import type { BoxState } from "./box/state.ts";
import type { DesiredTree } from "./desired.ts";
import { DIGEST_FILE_NAME, DIGEST_SYMBOL } from "./names.ts";
import { type ApplyTarget, isMemberProtocol, planApply } from "./plan.ts";

/** What an apply needs from a route server: run a command, with stdin and a time limit. */
export interface RemoteShell {
  exec(command: string, options?: { stdin?: string; timeoutMs?: number }): Promise<ExecResult>;
}

/** Where an apply stopped; persisted as the route server's `lastErrorStage`. */
export type ApplyStage = "stage" | "configure" | "verify" | "confirm";

/**
 * An apply that failed at `stage`, with BIRD's (or SSH's) own words. `inDoubt` means BIRD may
 * be running, or about to run, something unconfirmed until `windowEndsAt`: no apply may start
 * there before then. `rollbackError` says what did not come back.
 */
export class ApplyError extends AppError {
  readonly stage: ApplyStage;
  readonly inDoubt: boolean;
  readonly windowEndsAt?: number;
  readonly rollbackError?: string;
  constructor(
    stage: ApplyStage,
    message: string,
    extra: { inDoubt?: boolean; windowEndsAt?: number; rollbackError?: string; code?: string } = {},
  ) {
    super(extra.code ?? "route_server_apply_failed", message, { stage }, 502);
    this.name = "ApplyError";
    this.stage = stage;
    this.inDoubt = extra.inDoubt ?? false;
    if (extra.windowEndsAt !== undefined) this.windowEndsAt = extra.windowEndsAt;
    if (extra.rollbackError !== undefined) this.rollbackError = extra.rollbackError;
  }
}

export interface ApplyInput {
  rs: RouteServerConfig;
  desired: DesiredTree;
  box: BoxState;
  /** Member files the apply must not touch (see `planApply`). */
  leaveAlone?: ReadonlySet<string>;
  /** Names this apply's files on the box (`<staging>/ztix-<txn>`). */
  txn: string;
  configureTimeoutSeconds: number;
  commandTimeoutMs: number;
  /** At most this many member files may be refused by BIRD before the apply gives up. */
  maxRejected?: number;
  now?: () => number;
}

export interface ApplyHooks {
  /**
   * Called just before `configure timeout` is sent, with the latest instant BIRD's undo
   * window can end; and again once BIRD answered, with a tighter bound. The caller persists
   * it, so an apply that dies in between leaves the route server visibly in doubt.
   */
  configureWindow?(windowEndsAt: number): Promise<void>;
  /** Test seam: runs after each stage (drop the connection, wait out BIRD's timer, crash). */
  afterStage?(stage: ApplyStage | "configure_sent"): void | Promise<void>;
}

export interface ApplyResult {
  /** What went out in the end (after leaving refused members out). */
  target: ApplyTarget;
  /** Member files BIRD refused, with its words; they keep what the box had. */
  rejected: { name: string; message: string }[];
  /** `configure timeout` commands sent (each a full parse of the config by BIRD). */
  configures: number;
  bytesUploaded: number;
  /** Milliseconds per stage, for logs and benchmarks. */
  timings: Partial<Record<ApplyStage, number>>;
}

/** Slack added to BIRD's own timer when deciding that its undo window is over. */
const WINDOW_MARGIN_MS = 5_000;

/**
 * Applies the difference between the desired tree and the box as one safe transaction:
 * stage only the changed files and swap them in (keeping the previous versions) →
 * `configure timeout N`, which parses the candidate once and keeps the old config when it does
 * not parse → verify that BIRD runs exactly this tree (its digest) with every member protocol →
 * `configure confirm`, counted only on BIRD's `0018`. A member file BIRD refuses is left out
 * (its previous version put back) and the rest is configured again. Any other failure puts the
 * previous files back and, when BIRD took the new config, undoes it within its own window.
 */
export async function applyToRouteServer(
  shell: RemoteShell,
  input: ApplyInput,
  hooks: ApplyHooks = {},
): Promise<ApplyResult> {
  const { rs } = input;
  const now = input.now ?? Date.now;
  const hold = new Set(input.leaveAlone ?? []);
  let target = planApply(input.desired, input.box, hold);
  const result: ApplyResult = { target, rejected: [], configures: 0, bytesUploaded: 0, timings: {} };
  let stageStarted = performance.now();
  const timed = (s: ApplyStage) => {
    const t = performance.now();
    result.timings[s] = Math.round((result.timings[s] ?? 0) + t - stageStarted);
    stageStarted = t;
  };
  if (!target.needsApply) return result;

  const txnDir = `${rs.paths.staging_dir}/ztix-${input.txn}`;
  const timeoutMs = input.commandTimeoutMs;
  const birdc = (command: string) => shell.exec(birdcCommand(rs, command), { timeoutMs });
  const script = async (text: string, done: string) => {
    result.bytesUploaded += Buffer.byteLength(text);
    const r = await shell.exec("sh -s", { stdin: text, timeoutMs });
    if (r.code !== 0 || !r.stdout.includes(done)) {
      throw new Error(`${r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`}`);
    }
  };

  let stage: ApplyStage = "stage";
  let touched = false;
  let configureSent = false;
  let reconfigured = false;
  let birdReverted = false;
  let windowEndsAt: number | undefined;
  try {
    touched = true;
    await script(stageAndSwapScript(rs, txnDir, fileChanges(target)), SWAPPED);
    timed("stage");
    await hooks.afterStage?.("stage");

    stage = "configure";
    for (;;) {
      windowEndsAt = now() + timeoutMs + input.configureTimeoutSeconds * 1000 + WINDOW_MARGIN_MS;
      await hooks.configureWindow?.(windowEndsAt);
      configureSent = true;
      await hooks.afterStage?.("configure_sent");
      const out = await birdc(`configure timeout ${input.configureTimeoutSeconds}`);
      result.configures += 1;
      const lines = parseBirdOutput(`${out.stdout}\n${out.stderr}`);
      const error = birdError(lines);
      if (!error) {
        if (
          !hasCode(lines, BirdCode.reconfigured) &&
          !hasCode(lines, BirdCode.reconfigurationInProgress) &&
          !hasCode(lines, BirdCode.reconfigurationQueued)
        ) {
          // No error, yet no sign of a new config either: assume the worst (it may be live).
          reconfigured = true;
          throw new Error(`unexpected answer to configure: ${birdWords(out.stdout + out.stderr)}`);
        }
        reconfigured = true;
        windowEndsAt = now() + input.configureTimeoutSeconds * 1000 + WINDOW_MARGIN_MS;
        await hooks.configureWindow?.(windowEndsAt);
        break;
      }
      // BIRD refused the candidate and kept its running config (no undo timer started).
      configureSent = false;
      const refused = refusedMemberFile(rs, error.text, target);
      if (!refused || result.rejected.length >= (input.maxRejected ?? 20)) {
        throw new Error(birdWords(out.stdout + out.stderr));
      }
      result.rejected.push({ name: refused, message: error.text });
      hold.add(refused);
      const next = planApply(input.desired, input.box, hold);
      const digestWrite = next.writes.filter((w) => w.name === DIGEST_FILE_NAME);
      await script(restoreScript(rs, txnDir, [refused]), RESTORED);
      if (digestWrite.length > 0) await script(writeFilesScript(rs, digestWrite), SWAPPED);
      target = next;
      result.target = target;
    }
    timed("configure");
    await hooks.afterStage?.("configure");

    stage = "verify";
    stageStarted = performance.now();
    await verify(shell, input, target, timeoutMs);
    timed("verify");
    await hooks.afterStage?.("verify");

    stage = "confirm";
    const confirm = await birdc("configure confirm");
    const lines = parseBirdOutput(`${confirm.stdout}\n${confirm.stderr}`);
    if (!hasCode(lines, BirdCode.confirmed)) {
      if (hasCode(lines, BirdCode.nothingToDo)) {
        // BIRD's timer ran out first: it already went back to the previous config.
        birdReverted = true;
        throw new ApplyError(
          "confirm",
          `BIRD had already reverted when the confirm arrived (0019 Nothing to do): the change is not live`,
          { inDoubt: true, windowEndsAt: now(), code: "route_server_confirm_late" },
        );
      }
      throw new Error(`configure confirm was not confirmed: ${birdWords(confirm.stdout + confirm.stderr)}`);
    }
    reconfigured = false;
    timed("confirm");
    await hooks.afterStage?.("confirm");
  } catch (e) {
    const failure = asApplyError(e, stage);
    const rollbackError = touched
      ? await rollback().catch((r: unknown) => (r as Error).message ?? String(r))
      : undefined;
    // Unsure what BIRD runs: it took (or may have taken) a config nobody confirmed or undid.
    const inDoubt = failure.inDoubt || ((configureSent || reconfigured) && rollbackError !== undefined);
    throw new ApplyError(failure.stage, failure.message, {
      code: failure.code,
      inDoubt,
      ...(inDoubt && windowEndsAt !== undefined
        ? { windowEndsAt: failure.windowEndsAt ?? windowEndsAt }
        : {}),
      ...(rollbackError !== undefined ? { rollbackError } : {}),
    });
  }
  await shell.exec(`rm -rf ${q(txnDir)}`, { timeoutMs }).catch(() => undefined);
  return result;

  /** Puts the previous files back, and the previous config when BIRD took the new one. */
  async function rollback(): Promise<string | undefined> {
    const problems: string[] = [];
    try {
      await script(restoreScript(rs, txnDir), RESTORED);
    } catch (e) {
      problems.push(`restoring the previous files failed: ${(e as Error).message}`);
    }
    if ((reconfigured || configureSent) && !birdReverted) {
      // Within our own window the undo target is the last confirmed config (never two timed
      // configures overlap on one server), so undo cannot make anything unconfirmed permanent.
      try {
        const undo = await birdc("configure undo");
        const lines = parseBirdOutput(`${undo.stdout}\n${undo.stderr}`);
        if (!hasCode(lines, BirdCode.reconfigured) && !hasCode(lines, BirdCode.nothingToDo)) {
          problems.push(`configure undo: ${birdWords(undo.stdout + undo.stderr)}`);
        }
      } catch (e) {
        problems.push(`configure undo failed: ${(e as Error).message}`);
      }
    }
    return problems.length > 0 ? problems.join("; ") : undefined;
  }
}

function fileChanges(target: ApplyTarget) {
  return {
    writes: target.writes,
    removes: target.removes,
    ...(target.policyText !== undefined ? { policyText: target.policyText } : {}),
  };
}

function asApplyError(e: unknown, stage: ApplyStage): ApplyError {
  if (e instanceof ApplyError) return e;
  return new ApplyError(stage, e instanceof Error ? e.message : String(e));
}

/** The member file a parse error points at, when it is one this apply wrote. */
function refusedMemberFile(
  rs: RouteServerConfig,
  errorText: string,
  target: ApplyTarget,
): string | undefined {
  const where = parseErrorLocation(errorText);
  if (!where) return undefined;
  const prefix = `${rs.paths.members_dir}/`;
  if (!where.file.startsWith(prefix)) return undefined;
  const name = where.file.slice(prefix.length);
  if (name === DIGEST_FILE_NAME) return undefined;
  return target.writes.some((w) => w.name === name) ? name : undefined;
}

/**
 * BIRD runs exactly the target: its digest is the target's, every required member protocol
 * exists and no member protocol exists that the tree does not define. Read in one command;
 * a queued reconfiguration (BIRD still busy with the previous one) gets a few seconds.
 */
async function verify(shell: RemoteShell, input: ApplyInput, target: ApplyTarget, timeoutMs: number) {
  const { rs } = input;
  const fence = "@@ztix-verify@@";
  let problem = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 1000));
    const out = await shell.exec(
      `${birdcCommand(rs, "show protocols")} 2>&1; echo ${q(fence)}; ${birdcCommand(rs, `eval ${DIGEST_SYMBOL}`)} 2>&1`,
      { timeoutMs },
    );
    const [protocolsOut = "", digestOut = ""] = out.stdout.split(fence);
    const running = parseBirdOutput(digestOut)
      .find((l) => l.code === BirdCode.evalResult)
      ?.text.trim();
    const names = protocolNames(parseBirdOutput(protocolsOut));
    const missing = [...target.required].filter((p) => !names.has(p));
    const extra = [...names].filter((p) => isMemberProtocol(p) && !target.allowed.has(p));
    if (running !== target.digest) problem = `BIRD runs digest ${running ?? "(none)"}, not ${target.digest}`;
    else if (missing.length > 0) problem = `missing after configure: ${missing.slice(0, 10).join(", ")}`;
    else if (extra.length > 0) problem = `still present after configure: ${extra.slice(0, 10).join(", ")}`;
    else return;
    // Only a digest that has not caught up yet is worth waiting for.
    if (running === target.digest) break;
  }
  throw new ApplyError("verify", problem);
}
