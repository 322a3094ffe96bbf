import { AppError, isAppError } from "@ztix/core";
import { getRequest, writeAudit } from "@ztix/data";
import { readGate } from "../lifecycle/gate.ts";
import { checkGate, type GateDecision } from "../lifecycle/gate-check.ts";
import type { LifecycleDeps } from "../lifecycle/preflight.ts";
import type { MemberUpdate } from "../types.ts";
import { checkRestoredMembers, type MemberDrift } from "./member-check.ts";

/**
 * What happened to one drifted member:
 * - `repaired` / `would_repair` (dry run): written (or to be written) from DynamoDB;
 * - `not_active`: the request left `active` since the check, so there is nothing to restore;
 * - `no_record`: DynamoDB has no membership addresses to restore from (needs a person);
 * - `failed`: the controller refused or did not keep the write;
 * - `gate_closed`: the gate closed during the run, so the rest was left alone.
 */
export type MemberRepairAction =
  | "repaired"
  | "would_repair"
  | "not_active"
  | "no_record"
  | "failed"
  | "gate_closed";

export interface MemberRepairOutcome {
  code: MemberDrift["code"];
  action: MemberRepairAction;
  requestId: string;
  networkId: string;
  nodeId: string;
  asn: number;
  /** The write (or, in a dry run, the write that would be made). */
  update?: MemberUpdate;
  revision?: number;
  error?: { code: string; message: string };
}

export interface MemberRepairReport {
  /** True when no drift is left behind (nothing failed, was skipped for lack of a record, or cut short). */
  ok: boolean;
  dryRun: boolean;
  checked: number;
  repaired: number;
  outcomes: MemberRepairOutcome[];
}

/** Stable code for a repair refused because the controller gate is closed. */
export const memberRepairGateClosed = "member_repair_gate_closed";

/**
 * Re-writes every member that differs from DynamoDB (detected by `checkRestoredMembers`) from
 * its `membership` record — authorized, the recorded addresses, name `AS<asn>` — through the
 * provider's upsert, which re-reads and compares. It runs only while the gate is open (the same
 * check a provisioning job makes; a closed gate refuses with `member_repair_gate_closed`), and
 * re-reads the gate and the request before each write, so a restore started meanwhile or a
 * request deprovisioned meanwhile is not overwritten. Each repair is audited on its request,
 * the run once under `controller`. Idempotent: a repaired member no longer drifts, so a
 * second run finds nothing to do and writes nothing (not even an audit event).
 */
export async function repairMembers(
  deps: LifecycleDeps,
  options: { dryRun?: boolean } = {},
): Promise<MemberRepairReport> {
  const dryRun = options.dryRun ?? false;
  const progress = deps.onProgress ?? (() => undefined);
  const actor = deps.actor ?? { actorType: "admin" as const };
  // A dry run must not write, so it trusts the stored gate instead of running a preflight.
  const gate = dryRun ? await storedGate(deps) : await checkGate(deps);
  if (!gate.open) {
    throw new AppError(
      memberRepairGateClosed,
      `the controller gate is closed (${gate.code}: ${gate.message}); fix that first (preflight or restore-validate), then repair`,
      { gateCode: gate.code },
      409,
    );
  }
  progress("comparing the controller's members with DynamoDB's active requests");
  const { checked, drift } = await checkRestoredMembers({
    data: deps.data,
    provider: deps.provider,
    controllerAddress: gate.controllerAddress,
    networkSuffixes: deps.config.networks.map((n) => n.suffix),
  });
  progress(
    `members: ${checked} checked, ${drift.length} differ${dryRun ? " (dry run: nothing is written)" : ""}`,
  );
  const report: MemberRepairReport = { ok: true, dryRun, checked, repaired: 0, outcomes: [] };
  let gateClosed = false;
  for (const [i, d] of drift.entries()) {
    const outcome = gateClosed ? outcomeOf(d, "gate_closed") : await repairOne(deps, d, { dryRun, actor });
    if (outcome.action === "gate_closed") gateClosed = true;
    if (outcome.action === "repaired") report.repaired += 1;
    report.outcomes.push(outcome);
    progress(
      `[${i + 1}/${drift.length}] member ${d.nodeId} (request ${d.requestId}, AS${d.asn}): ${d.code} → ${outcome.action}${outcome.error ? ` (${outcome.error.code}: ${outcome.error.message})` : ""}`,
    );
  }
  report.ok = report.outcomes.every((o) => ["repaired", "would_repair", "not_active"].includes(o.action));
  if (!dryRun && drift.length > 0) {
    const counts = countActions(report.outcomes);
    deps.log?.[report.ok ? "info" : "warn"]("repair-members finished", { checked, ...counts });
    await writeAudit(deps.data, {
      subject: "controller",
      action: "controller.member_repair",
      actorType: actor.actorType,
      actorId: actor.actorId,
      message: `repaired ${report.repaired} of ${drift.length} member(s) differing from DynamoDB (${checked} active checked)`,
      // Bounded: an audit item must stay well under DynamoDB's 400 KB item limit.
      metadata: {
        checked,
        count: drift.length,
        ...counts,
        outcomes: report.outcomes
          .slice(0, 50)
          .map((o) => ({ requestId: o.requestId, code: o.code, action: o.action, error: o.error?.code })),
      },
    });
  }
  return report;
}

async function storedGate(deps: LifecycleDeps): Promise<GateDecision> {
  const state = await readGate(deps.data);
  if (state?.gateOpen && state.controllerAddress)
    return { open: true, controllerAddress: state.controllerAddress, reopened: false };
  return {
    open: false,
    code: state?.reasonCode ?? "controller_gate_closed",
    message: state?.reasonMessage ?? "no preflight has opened the gate",
  };
}

function outcomeOf(d: MemberDrift, action: MemberRepairAction, extra: Partial<MemberRepairOutcome> = {}) {
  const { code, requestId, networkId, nodeId, asn } = d;
  return { code, action, requestId, networkId, nodeId, asn, ...extra } satisfies MemberRepairOutcome;
}

function countActions(outcomes: MemberRepairOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.action] = (counts[o.action] ?? 0) + 1;
  return counts;
}

async function repairOne(
  deps: LifecycleDeps,
  d: MemberDrift,
  opts: { dryRun: boolean; actor: { actorType: "admin" | "system"; actorId?: string } },
): Promise<MemberRepairOutcome> {
  // Re-read what the write is built from: the check may be seconds old on a large IX.
  const request = await getRequest(deps.data, d.requestId);
  if (request?.status !== "active") return outcomeOf(d, "not_active");
  const membership = (await deps.data.entities.membership.get({ requestId: d.requestId }).go()).data;
  const ipAssignments = [membership?.ipv4, membership?.ipv6].filter((ip): ip is string => Boolean(ip));
  if (!membership || ipAssignments.length === 0) {
    return outcomeOf(d, "no_record", {
      error: {
        code: "member_repair_no_record",
        message: "DynamoDB has no membership addresses for this active request; re-provision it",
      },
    });
  }
  const update: MemberUpdate = { authorized: true, ipAssignments, name: `AS${request.asn}` };
  if (opts.dryRun) return outcomeOf(d, "would_repair", { update });
  const gate = await readGate(deps.data);
  if (!gate?.gateOpen) {
    return outcomeOf(d, "gate_closed", {
      error: {
        code: memberRepairGateClosed,
        message: `the gate closed during the repair: ${gate?.reasonCode}`,
      },
    });
  }
  const subject = `request#${d.requestId}`;
  const base = { subject, actorType: opts.actor.actorType, actorId: opts.actor.actorId };
  try {
    const member = await deps.provider.upsertMember(d.networkId, d.nodeId, update);
    await deps.data.entities.membership
      .patch({ requestId: d.requestId })
      .set({
        authorized: member.authorized,
        controllerRevision: member.revision,
        updatedAt: new Date().toISOString(),
      })
      .go();
    await writeAudit(deps.data, {
      ...base,
      action: "controller.member_repaired",
      message: `member ${d.nodeId} re-written on the controller from DynamoDB (${d.code})`,
      metadata: { code: d.code, nodeId: d.nodeId, networkId: d.networkId, before: d.actual ?? null, update },
    });
    return outcomeOf(d, "repaired", { update, revision: member.revision });
  } catch (e) {
    const error = isAppError(e)
      ? { code: String(e.code), message: e.message }
      : { code: "member_repair_failed", message: (e as Error).message };
    deps.log?.error("repair-members: member write failed", { requestId: d.requestId, err: e });
    await writeAudit(deps.data, {
      ...base,
      action: "controller.member_repair_failed",
      message: `re-writing member ${d.nodeId} failed: ${error.code}`,
      metadata: { code: d.code, nodeId: d.nodeId, networkId: d.networkId, error: error.code },
    });
    return outcomeOf(d, "failed", { update, error });
  }
}
