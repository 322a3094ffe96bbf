import type { SecretStore } from "@ztix/aws";
import { createLogger, type Logger, type RouteServerConfig, type RuntimeConfig } from "@ztix/core";
import type { DataService, RouteServerSyncItem } from "@ztix/data";
import { ApplyError, type ApplyHooks, applyToRouteServer } from "./apply.ts";
import { contentHash } from "./hash.ts";
import { acquireLease } from "./lease.ts";
import { parseMember, type RouteServerMember } from "./member.ts";
import { routeServerLeaseName } from "./names.ts";
import { renderMember } from "./render/member.ts";
import { renderPolicy } from "./render/policy.ts";
import { connectSsh } from "./ssh.ts";

export interface RouteServerSyncResult {
  routeServerId: string;
  state: "in_sync" | "failed";
  stage?: string;
  error?: string;
  skipped?: boolean;
}

export interface SyncDeps {
  config: RuntimeConfig;
  data: DataService;
  secrets: SecretStore;
  log?: Logger;
}

/** What one route server should end up with for a member: files and their hash. */
export function desiredState(
  config: RuntimeConfig,
  routeServer: RouteServerConfig,
  member: RouteServerMember,
  remove: boolean,
) {
  const policyText = renderPolicy(routeServer, config.route_server_policy);
  const rendered = renderMember(member, config.route_server_policy);
  const text = remove ? null : rendered.text;
  return {
    policyText,
    member: { fileName: rendered.fileName, text, protocols: rendered.protocols },
    desiredHash: contentHash({ policy: policyText, [rendered.fileName]: text }),
  };
}

/**
 * Brings every configured route server to the member's desired config (or removes it), one
 * server at a time and each under its lease, so redundant servers are never both in doubt.
 * A server whose applied hash already matches is skipped, so a retry re-applies only the
 * servers that are not in sync. `ok` is true only when every server is in sync.
 */
export async function syncMemberToRouteServers(
  deps: SyncDeps,
  member: RouteServerMember,
  options: { remove?: boolean } = {},
): Promise<{ ok: boolean; results: RouteServerSyncResult[] }> {
  const valid = parseMember(member);
  const results: RouteServerSyncResult[] = [];
  for (const rs of deps.config.route_servers) {
    results.push(await syncOne(deps, rs, valid, options.remove === true));
  }
  return { ok: results.every((r) => r.state === "in_sync"), results };
}

/** One route server; exported for tests that need the apply hooks. */
export async function syncOne(
  deps: SyncDeps,
  rs: RouteServerConfig,
  member: RouteServerMember,
  remove: boolean,
  hooks: ApplyHooks = {},
): Promise<RouteServerSyncResult> {
  const log = (deps.log ?? createLogger()).child({
    routeServerId: rs.id,
    asn: member.asn,
    nodeId: member.nodeId,
  });
  const sync = deps.data.entities.routeServerSync;
  const key = { requestId: member.requestId, routeServerId: rs.id };
  const desired = desiredState(deps.config, rs, member, remove);
  const doneState = remove ? "removed" : "in_sync";
  const previous = (await sync.get(key).go()).data;
  if (previous?.state === doneState && previous.appliedHash === desired.desiredHash) {
    return { routeServerId: rs.id, state: "in_sync", skipped: true };
  }

  const record = (item: Omit<RouteServerSyncItem, "requestId" | "routeServerId" | "updatedAt">) =>
    sync.put({ ...key, ...item, updatedAt: new Date().toISOString() }).go();
  const applied = previous?.appliedHash === undefined ? {} : { appliedHash: previous.appliedHash };
  const fail = async (stage: string, message: string): Promise<RouteServerSyncResult> => {
    await record({
      desiredHash: desired.desiredHash,
      ...applied,
      state: "failed",
      lastErrorStage: stage,
      lastError: message,
    });
    log.warn("route server apply failed", { stage, error: message });
    return { routeServerId: rs.id, state: "failed", stage, error: message };
  };

  const policy = deps.config.route_server_policy;
  // The lease outlives the longest apply: BIRD's own revert timer plus SSH and check time.
  const lease = await acquireLease(deps.data, routeServerLeaseName(rs.id), {
    ttlMs: (policy.configure_timeout_seconds + 300) * 1000,
    waitMs: policy.lock_wait_seconds * 1000,
  });
  if (!lease) return fail("lock", `route server ${rs.id} is being changed by another apply`);
  try {
    await record({ desiredHash: desired.desiredHash, ...applied, state: "applying" });
    let shell: Awaited<ReturnType<typeof connectSsh>>;
    try {
      shell = await connectSsh(rs.ssh, await deps.secrets.get(rs.ssh.private_key.secret));
    } catch (e) {
      return await fail("connect", e instanceof Error ? e.message : String(e));
    }
    try {
      const outcome = await applyToRouteServer(
        shell,
        {
          routeServer: rs,
          policyText: desired.policyText,
          member: desired.member,
          configureTimeoutSeconds: policy.configure_timeout_seconds,
        },
        hooks,
      );
      if (outcome.recovered.length > 0) {
        log.warn("restored files an interrupted apply left unconfirmed", { files: outcome.recovered });
      }
      await record({ desiredHash: desired.desiredHash, appliedHash: desired.desiredHash, state: doneState });
      log.info(remove ? "member removed from route server" : "member applied to route server", {
        policyChanged: outcome.policyChanged,
        bytesUploaded: outcome.bytesUploaded,
      });
      return { routeServerId: rs.id, state: "in_sync" };
    } catch (e) {
      if (e instanceof ApplyError) return await fail(e.stage, e.message);
      return await fail("apply", e instanceof Error ? e.message : String(e));
    } finally {
      shell.close();
    }
  } finally {
    await lease.release();
  }
}

/** Per-server state of one request, for request detail pages: one item per route server, by id. */
export async function routeServerStates(
  data: DataService,
  requestId: string,
): Promise<RouteServerSyncItem[]> {
  const { data: items } = await data.entities.routeServerSync.query
    .byRequest({ requestId })
    .go({ pages: "all" });
  return items;
}
