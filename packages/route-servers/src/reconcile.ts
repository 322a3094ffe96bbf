import { randomBytes } from "node:crypto";
import type { SecretStore } from "@ztix/aws";
import { AppError, type Logger, type RouteServerConfig, type RuntimeConfig } from "@ztix/core";
import {
  type DataService,
  desiredMembersOfNetwork,
  type RouteServerMemberItem,
  type RouteServerStateItem,
  type RouteServerSyncItem,
  syncsOfRouteServer,
} from "@ztix/data";
import { isSshError, type SshConnection } from "@ztix/ssh";
import { ApplyError, type ApplyHooks, applyToRouteServer } from "./apply.ts";
import { parseBoxState, readBoxCommand } from "./box/read.ts";
import type { BoxState } from "./box/state.ts";
import type { RouteServerConnections } from "./connections.ts";
import {
  buildDesiredTree,
  type DesiredFile,
  type DesiredTree,
  renderDesiredFile,
  servedNetworks,
} from "./desired.ts";
import { tryAcquireLease } from "./lease.ts";
import { type RouteServerMember, routeServerMemberSchema } from "./member.ts";
import { DIGEST_FILE_NAME, memberFileName } from "./names.ts";
import { type ApplyTarget, planApply, runsTarget } from "./plan.ts";
import { loadPolicyData, type PolicyDataCache, withPolicyData } from "./policy-data.ts";
import { extendApplyGuard, loadState, patchState, takeApplyGuard } from "./state-store.ts";

export interface ReconcileDeps {
  config: RuntimeConfig;
  data: DataService;
  secrets: SecretStore;
  connections: RouteServerConnections;
  log: Logger;
  now: () => Date;
  /** The process's policy data between reconciles (absent: read it all every time). */
  policyCache?: PolicyDataCache;
}

/**
 * The reconcile cannot go on now and must be tried again later (transient by nature): BIRD's
 * undo window is still open, the route server is unreachable or misconfigured, another apply
 * holds it. Requests wait; nothing fails. `retryAfterMs` is the earliest a retry can help
 * (BIRD's window); 0 leaves the delay to the caller's backoff.
 */
export class ReconcileWait extends AppError {
  readonly retryAfterMs: number;
  readonly transient = true;
  constructor(code: string, message: string, retryAfterMs = 0, details: Record<string, unknown> = {}) {
    super(code, message, details, 503);
    this.name = "ReconcileWait";
    this.retryAfterMs = Math.max(0, Math.ceil(retryAfterMs));
  }
}

export const isReconcileWait = (e: unknown): e is ReconcileWait => e instanceof ReconcileWait;

/** A desired member the route server carries after the reconcile (as BIRD confirmed). */
export interface CarriedMember {
  item: RouteServerMemberItem;
  fileName: string;
}

/** A desired member the route server does not carry: BIRD refused its file, or its data is bad. */
export interface RejectedMember {
  item: RouteServerMemberItem;
  fileName: string;
  message: string;
}

export interface ReconcileOutcome {
  routeServerId: string;
  status: "applied" | "in_sync" | "coalesced" | "dry_run" | "unknown_route_server";
  /** What differed (before the apply) — for status, diff and logs. */
  diff?: { added: string[]; changed: string[]; removed: string[]; policy: boolean; birdBehind: boolean };
  carried: CarriedMember[];
  rejected: RejectedMember[];
  /** Requests whose member this reconcile found gone from the route server (now recorded removed). */
  dropped: string[];
  /** `configure timeout` commands sent to BIRD by this reconcile. */
  configures: number;
  /** Member files rendered anew (the rest came from the process's cache). */
  rendered?: number;
  observedAt?: string;
  revision?: number;
  durationMs: number;
}

export interface ReconcileOptions {
  /** When the change that asked for this reconcile was made; an older one is coalesced. */
  requestedAt?: string;
  /** Compute and return the difference without changing anything. */
  dryRun?: boolean;
  /** Read all policy data again rather than trust the process's cache (the schedule, admins). */
  fullRead?: boolean;
  hooks?: ApplyHooks;
}

/** Changes older than a finished reconcile's read by at least this are in it (clock skew slack). */
const COALESCE_SLACK_MS = 1000;
/** Removed members' records stay this long for detail pages, then DynamoDB drops them. */
const REMOVED_RECORD_TTL_SECONDS = 7 * 86_400;
/** One route server at a time takes a change that touches every member (a policy change). */
export const ROLLOUT_LEASE = "route-server-rollout";

/**
 * Converges one route server to the desired state, level-triggered: it reads what should be
 * (the members of every network the server serves, one consistent Query each) and what is (one
 * remote command), applies the whole difference in one safe transaction, and records what
 * BIRD confirmed. It never trusts the event that woke it, so a lost, duplicated or reordered
 * trigger is harmless; run twice, the second finds nothing to do.
 */
export async function reconcileRouteServer(
  deps: ReconcileDeps,
  routeServerId: string,
  options: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const started = performance.now();
  const rs = deps.config.route_servers.find((r) => r.id === routeServerId);
  const base = { routeServerId, carried: [], rejected: [], dropped: [], configures: 0 };
  const done = (o: Omit<ReconcileOutcome, "durationMs">): ReconcileOutcome => ({
    ...o,
    durationMs: Math.round(performance.now() - started),
  });
  if (!rs) return done({ ...base, status: "unknown_route_server" });
  const log = deps.log.child({ routeServerId });
  const now = deps.now();
  const state = await loadState(deps.data, routeServerId, now.toISOString());

  if (!options.dryRun && options.requestedAt && state.observedAt) {
    const asked = Date.parse(options.requestedAt);
    if (asked + COALESCE_SLACK_MS <= Date.parse(state.observedAt)) {
      return done({ ...base, status: "coalesced", observedAt: state.observedAt });
    }
  }
  if (!options.dryRun && state.applyTxn && (state.applyUntil ?? 0) > now.getTime()) {
    throw new ReconcileWait(
      "route_server_in_doubt",
      `an apply (${state.applyTxn}) may still be live on ${rs.id} until ${new Date(state.applyUntil!).toISOString()}; waiting for BIRD's undo window to pass`,
      state.applyUntil! - now.getTime(),
    );
  }

  const observedAt = now.toISOString();
  const timings: Record<string, number> = {};
  const lap = stopwatch();
  const [{ desired, items, invalid, loadTimings, rendered }, syncs] = await Promise.all([
    loadDesired(deps, rs, options.fullRead === true),
    syncsOfRouteServer(deps.data, routeServerId),
  ]);
  timings.load_ms = lap();
  Object.assign(timings, loadTimings);
  const syncByRequest = new Map(syncs.map((s) => [s.requestId, s]));
  // An active member whose file BIRD refused keeps its previous file until the file changes.
  const leaveAlone = new Set(invalid.map((r) => r.fileName));
  for (const [name, file] of desired.members) {
    const item = items.get(name)!;
    const sync = syncByRequest.get(item.requestId);
    if (item.activation === "active" && sync?.failedHash === file.hash) leaveAlone.add(name);
  }

  const connection = deps.connections.get(rs);
  const box = await readBox(deps, rs, connection, state);
  timings.read_ms = lap();
  const plan = planApply(desired, box, leaveAlone);
  const diff = {
    added: plan.added,
    changed: plan.changed,
    removed: plan.removed,
    policy: plan.policyText !== undefined,
    birdBehind: !runsTarget(box, plan.digest, plan.required, plan.allowed),
  };
  if (options.dryRun) return done({ ...base, status: "dry_run", diff, observedAt, rendered });

  let applied = {
    target: plan,
    rejected: [] as { name: string; message: string }[],
    configures: 0,
    timings: {} as Record<string, number>,
  };
  if (plan.needsApply) {
    applied = await safeApply(deps, rs, connection, state, { desired, box, leaveAlone, plan }, options.hooks);
    lap(); // the apply reports its own stages
  }
  const rejectedNames = new Map(applied.rejected.map((r) => [r.name, r.message]));
  const rejected: RejectedMember[] = [
    ...invalid,
    ...applied.rejected.map((r) => ({ item: items.get(r.name)!, fileName: r.name, message: r.message })),
  ];
  const carried: CarriedMember[] = [];
  for (const [name, item] of items) {
    if (!rejectedNames.has(name) && !leaveAlone.has(name)) carried.push({ item, fileName: name });
  }

  const dropped = await writeSyncs(deps, rs.id, {
    desired,
    items,
    syncByRequest,
    carried,
    rejected,
    observedAt,
  });
  timings.record_ms = lap();
  const revision = state.revision + (applied.configures > 0 ? 1 : 0);
  await patchState(
    deps.data,
    rs.id,
    {
      condition: rejected.length > 0 ? "drifted" : "in_sync",
      revision,
      runningDigest: applied.target.digest,
      memberCount: carried.length,
      observedAt,
      lastReconcileAt: deps.now().toISOString(),
      lastChange: {
        added: plan.added.length,
        changed: plan.changed.length,
        removed: plan.removed.length,
        policy: diff.policy,
      },
      updatedAt: deps.now().toISOString(),
    },
    [
      "lastError",
      "lastErrorCode",
      "lastErrorStage",
      "lastErrorAt",
      "rollbackError",
      "rollbackErrorAt",
      "inDoubtReason",
    ],
  );
  const outcome = done({
    routeServerId,
    status: plan.needsApply ? "applied" : "in_sync",
    diff,
    carried,
    rejected,
    dropped,
    configures: applied.configures,
    rendered,
    observedAt,
    revision,
  });
  log.info(plan.needsApply ? "route server reconciled" : "route server already in sync", {
    added: diff.added.length,
    changed: diff.changed.length,
    removed: diff.removed.length,
    policy: diff.policy,
    rejected: rejected.length,
    members: carried.length,
    configures: applied.configures,
    revision,
    durationMs: outcome.durationMs,
    ...timings,
    ...Object.fromEntries(Object.entries(applied.timings).map(([k, v]) => [`${k}_ms`, v])),
  });
  return outcome;
}

/** The members every network the route server serves should have there, rendered. */
async function loadDesired(deps: ReconcileDeps, rs: RouteServerConfig, fullRead: boolean) {
  const lap = stopwatch();
  const networks = servedNetworks(deps.config, rs);
  const perNetwork = await Promise.all(networks.map((n) => desiredMembersOfNetwork(deps.data, n.suffix)));
  const members: RouteServerMember[] = [];
  const items = new Map<string, RouteServerMemberItem>();
  const invalid: RejectedMember[] = [];
  const all = perNetwork.flat();
  const membersMs = lap();
  const policyData = await loadPolicyData(deps.data, deps.config, all, {
    ...(deps.policyCache ? { cache: deps.policyCache } : {}),
    full: fullRead,
  });
  const policyMs = lap();
  // Members whose record is unchanged since they were rendered under this generation keep
  // their file: at 2,000 members with IRR lists a full render is about a second of CPU.
  const renders = policyData.renders;
  const files = new Map<RouteServerMember, DesiredFile>();
  let rendered = 0;
  for (const item of all) {
    const fileName = memberFileName({ asn: item.asn, network: item.network, nodeId: item.nodeId });
    const recordKey = renders ? recordKeyOf(item) : "";
    const hit = renders?.get(fileName);
    if (hit && hit.recordKey === recordKey) {
      members.push(hit.member);
      files.set(hit.member, hit.file);
      items.set(fileName, item);
      continue;
    }
    const parsed = routeServerMemberSchema.safeParse(
      withPolicyData(memberOf(item), item, deps.config, policyData),
    );
    if (!parsed.success) {
      invalid.push({
        item,
        fileName,
        message: `invalid member data: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      });
      continue;
    }
    const file = renderDesiredFile(parsed.data, deps.config);
    rendered += 1;
    renders?.set(fileName, { recordKey, member: parsed.data, file });
    members.push(parsed.data);
    files.set(parsed.data, file);
    items.set(fileName, item);
  }
  const desired = buildDesiredTree(deps.config, rs, members, policyData.context, (m) => files.get(m)!);
  const loadTimings = {
    members_ms: membersMs,
    policy_data_ms: policyMs,
    render_ms: lap(),
    policy_data_reads: policyData.reads ?? 0,
    members_rendered: rendered,
  };
  return { desired, items, invalid, loadTimings, rendered };
}

/** Each call returns the milliseconds since the previous one (or since it was made). */
function stopwatch(): () => number {
  let mark = performance.now();
  return () => {
    const t = performance.now();
    const ms = Math.round(t - mark);
    mark = t;
    return ms;
  };
}

/** The record's content, whatever order its attributes came back in. */
function recordKeyOf(item: RouteServerMemberItem): string {
  return JSON.stringify(Object.entries(item).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/** A desired-state record as the renderer takes it, before its policy data is filled in. */
export function memberOf(item: RouteServerMemberItem): RouteServerMember {
  return {
    asn: item.asn,
    network: item.network,
    nodeId: item.nodeId,
    requestId: item.requestId,
    ...(item.ipv4 ? { ipv4: item.ipv4 } : {}),
    ...(item.ipv6 ? { ipv6: item.ipv6 } : {}),
  };
}

/** Reads the box; what stops a reconcile here (unreachable, misconfigured) makes it wait. */
async function readBox(
  deps: ReconcileDeps,
  rs: RouteServerConfig,
  connection: SshConnection,
  state: RouteServerStateItem,
): Promise<BoxState> {
  const timeoutMs = deps.config.route_server_policy.command_timeout_seconds * 1000;
  const { command, marker } = readBoxCommand(rs);
  let box: BoxState;
  try {
    // A kept connection may have died while idle: one fresh try before calling it down.
    const out = await connection.exec(command, { timeoutMs }).catch(async (e: unknown) => {
      if (!isSshError(e) || e.code !== "ssh_disconnected") throw e;
      await connection.close();
      return connection.exec(command, { timeoutMs });
    });
    box = parseBoxState(rs, out.stdout, marker);
  } catch (e) {
    // Transient or not (a wrong host key waits for a config fix), the reconcile waits.
    await deps.connections.reset(rs.id);
    throw await recordWait(deps, rs.id, state, {
      code: isSshError(e) ? e.code : "route_server_unreachable",
      stage: "connect",
      message: (e as Error).message,
      retryAfterMs: 0,
    });
  }
  if (box.missingIncludes === null || box.missingIncludes.length > 0) {
    throw await recordWait(deps, rs.id, state, {
      code: "route_server_misconfigured",
      stage: "read",
      message:
        box.missingIncludes === null
          ? `${rs.paths.main_config} does not exist on ${rs.id}`
          : `${rs.paths.main_config} on ${rs.id} must contain the line(s): ${box.missingIncludes.join(" ")}`,
      retryAfterMs: 0,
    });
  }
  if (box.birdUnreachable !== undefined) {
    throw await recordWait(deps, rs.id, state, {
      code: "route_server_bird_unreachable",
      stage: "read",
      message: `BIRD on ${rs.id} does not answer: ${box.birdUnreachable}`,
      retryAfterMs: 0,
    });
  }
  if (box.unsafeNames.length > 0) {
    deps.log.warn("the members directory holds files no command can name safely; left alone", {
      routeServerId: rs.id,
      names: box.unsafeNames.slice(0, 10),
    });
  }
  return box;
}

/** Records why the reconcile waits (visible to admins) and returns the wait to throw. */
async function recordWait(
  deps: ReconcileDeps,
  routeServerId: string,
  state: RouteServerStateItem,
  why: { code: string; stage: string; message: string; retryAfterMs: number; rollbackError?: string },
): Promise<ReconcileWait> {
  const at = deps.now().toISOString();
  deps.log.warn("route server reconcile waits", {
    routeServerId,
    code: why.code,
    stage: why.stage,
    error: why.message,
  });
  await patchState(deps.data, routeServerId, {
    condition: state.applyTxn ? "in_doubt" : "error",
    lastError: why.message.slice(0, 2000),
    lastErrorCode: why.code,
    lastErrorStage: why.stage,
    lastErrorAt: at,
    updatedAt: at,
  });
  return new ReconcileWait(why.code, why.message, why.retryAfterMs, { stage: why.stage });
}

/**
 * Runs the apply under the guard (no two applies overlap on a server, even outside the queue)
 * and, for a change that touches every member, under the roll-out lease (one server at a time,
 * the next only after the first confirmed). Records the outcome; a failure becomes a wait.
 */
async function safeApply(
  deps: ReconcileDeps,
  rs: RouteServerConfig,
  connection: SshConnection,
  state: RouteServerStateItem,
  input: { desired: DesiredTree; box: BoxState; leaveAlone: Set<string>; plan: ApplyTarget },
  hooks: ApplyHooks = {},
) {
  const policy = deps.config.route_server_policy;
  const commandTimeoutMs = policy.command_timeout_seconds * 1000;
  const windowMs = commandTimeoutMs * 3 + policy.configure_timeout_seconds * 1000;
  const txn = `${Date.now()}-${randomBytes(4).toString("hex")}`;
  const nowMs = deps.now().getTime();

  // A policy change touches every live session; a server that carries none yet (new, rebuilt)
  // risks nothing and need not queue behind the others.
  const carriesMembers = [...input.box.files.keys()].some((n) => n !== DIGEST_FILE_NAME);
  const wide = input.plan.policyText !== undefined && carriesMembers;
  const lease = wide ? await tryAcquireLease(deps.data, ROLLOUT_LEASE, windowMs, `${rs.id}:${txn}`) : null;
  if (wide && !lease) {
    throw new ReconcileWait(
      "route_server_rollout_busy",
      `another route server is taking a policy change; ${rs.id} follows once it is confirmed`,
    );
  }
  try {
    if (!(await takeApplyGuard(deps.data, rs.id, txn, nowMs + windowMs, nowMs, state.applyTxn))) {
      throw new ReconcileWait("route_server_busy", `another apply holds ${rs.id}`);
    }
    try {
      const result = await applyToRouteServer(
        connection,
        {
          rs,
          desired: input.desired,
          box: input.box,
          leaveAlone: input.leaveAlone,
          txn,
          configureTimeoutSeconds: policy.configure_timeout_seconds,
          commandTimeoutMs,
        },
        {
          ...hooks,
          async configureWindow(until) {
            await extendApplyGuard(deps.data, rs.id, txn, until);
            await hooks.configureWindow?.(until);
          },
        },
      );
      await patchState(deps.data, rs.id, { updatedAt: deps.now().toISOString() }, ["applyTxn", "applyUntil"]);
      return result;
    } catch (e) {
      throw await applyFailed(deps, rs, state, txn, e);
    }
  } finally {
    await lease?.release();
  }
}

/** What an apply failure leaves recorded: in doubt (guard kept until BIRD's window passed) or an error. */
async function applyFailed(
  deps: ReconcileDeps,
  rs: RouteServerConfig,
  state: RouteServerStateItem,
  txn: string,
  e: unknown,
): Promise<ReconcileWait> {
  await deps.connections.reset(rs.id);
  const failure = e instanceof ApplyError ? e : new ApplyError("stage", (e as Error)?.message ?? String(e));
  const at = deps.now().toISOString();
  const rollback = failure.rollbackError
    ? { rollbackError: failure.rollbackError.slice(0, 2000), rollbackErrorAt: at }
    : {};
  if (failure.rollbackError) {
    deps.log.error("route server rollback failed", {
      routeServerId: rs.id,
      stage: failure.stage,
      error: failure.message,
      rollbackError: failure.rollbackError,
    });
  }
  const common = {
    lastError: failure.message.slice(0, 2000),
    lastErrorCode: failure.code,
    lastErrorStage: failure.stage,
    lastErrorAt: at,
    updatedAt: at,
    ...rollback,
  };
  if (failure.inDoubt) {
    const until = Math.max(failure.windowEndsAt ?? 0, deps.now().getTime());
    await extendApplyGuard(deps.data, rs.id, txn, until);
    await patchState(deps.data, rs.id, {
      ...common,
      condition: "in_doubt",
      inDoubtReason: `${failure.stage}: ${failure.message}`.slice(0, 500),
    });
    deps.log.error("route server in doubt", {
      routeServerId: rs.id,
      stage: failure.stage,
      error: failure.message,
      until,
    });
    return new ReconcileWait("route_server_in_doubt", failure.message, until - deps.now().getTime(), {
      stage: failure.stage,
    });
  }
  await patchState(deps.data, rs.id, { ...common, condition: "error" }, ["applyTxn", "applyUntil"]);
  deps.log.warn("route server apply failed", {
    routeServerId: rs.id,
    stage: failure.stage,
    error: failure.message,
  });
  void state;
  return new ReconcileWait(failure.code, failure.message, 0, { stage: failure.stage });
}

/** Writes the records that changed: members now carried, refused, or gone; returns the gone ones' requests. */
async function writeSyncs(
  deps: ReconcileDeps,
  routeServerId: string,
  s: {
    desired: DesiredTree;
    items: Map<string, RouteServerMemberItem>;
    syncByRequest: Map<string, RouteServerSyncItem>;
    carried: CarriedMember[];
    rejected: RejectedMember[];
    observedAt: string;
  },
) {
  const at = deps.now().toISOString();
  const writes: RouteServerSyncItem[] = [];
  const seen = new Set<string>();
  for (const c of s.carried) {
    const hash = s.desired.members.get(c.fileName)!.hash;
    seen.add(c.item.requestId);
    const prev = s.syncByRequest.get(c.item.requestId);
    if (prev?.state === "in_sync" && prev.appliedHash === hash && prev.fileName === c.fileName) continue;
    writes.push({
      routeServerId,
      requestId: c.item.requestId,
      fileName: c.fileName,
      appliedHash: hash,
      state: "in_sync",
      observedAt: s.observedAt,
      updatedAt: at,
    });
  }
  for (const r of s.rejected) {
    seen.add(r.item.requestId);
    const prev = s.syncByRequest.get(r.item.requestId);
    const failedHash = s.desired.members.get(r.fileName)?.hash;
    if (prev?.state === "failed" && prev.failedHash === failedHash && prev.lastError === r.message) continue;
    writes.push({
      routeServerId,
      requestId: r.item.requestId,
      fileName: r.fileName,
      ...(prev?.appliedHash ? { appliedHash: prev.appliedHash } : {}),
      ...(failedHash ? { failedHash } : {}),
      state: "failed",
      lastError: r.message.slice(0, 1000),
      observedAt: s.observedAt,
      updatedAt: at,
    });
  }
  // Held back (refused earlier, unchanged since): their records already say so.
  for (const item of s.items.values()) seen.add(item.requestId);
  const ttl = Math.floor(Date.parse(at) / 1000) + REMOVED_RECORD_TTL_SECONDS;
  const dropped: string[] = [];
  for (const prev of s.syncByRequest.values()) {
    if (seen.has(prev.requestId) || prev.state === "removed") continue;
    writes.push({ ...prev, state: "removed", observedAt: s.observedAt, updatedAt: at, ttl });
    dropped.push(prev.requestId);
  }
  if (writes.length > 0) await deps.data.entities.routeServerSync.put(writes).go();
  return dropped;
}
