import type { PeeringDbRecordItem } from "@ztix/data";
import { bumpPolicyDataGeneration, peeringDbRecord } from "@ztix/data";
import {
  createPeeringDbClient,
  isPeeringDbError,
  type PeeringDbClient,
  type PeeringDbNetwork,
} from "@ztix/peeringdb";
import type { WorkerDeps } from "../deps.ts";
import { failureFields, refreshPolicy, successFields } from "./refresh-state.ts";

/** One PeeringDB client per worker process, reading its key from the secrets adapter per call. */
export function peeringDbClientFor(deps: Pick<WorkerDeps, "config" | "secrets">): PeeringDbClient {
  const cfg = deps.config.peeringdb_api;
  const key = cfg.api_key;
  return createPeeringDbClient({
    baseUrl: cfg.base_url,
    ...(key ? { apiKey: () => deps.secrets.get(key.secret) } : {}),
    timeoutMs: cfg.timeout_seconds * 1000,
    includeOrgName: true,
  });
}

/** What about a record matters to the route servers: a change here needs a reconcile. */
function policyView(network: PeeringDbNetwork | undefined | null): string {
  if (!network) return "none";
  return JSON.stringify([
    network.prefixes4,
    network.prefixes6,
    network.irrAsSets,
    network.neverViaRouteServers,
  ]);
}

export interface RecordRefresh {
  asn: number;
  ok: boolean;
  /** The route servers' view of the member changed (limits, as-sets, never-via flag). */
  changed: boolean;
  errorCode?: string;
}

/**
 * Reads one network from PeeringDB and stores it. A failure keeps the last good record and
 * backs off (429's Retry-After respected); only failures of our own storage throw.
 */
export async function refreshPeeringDbRecord(
  deps: Pick<WorkerDeps, "config" | "data" | "now" | "log">,
  client: PeeringDbClient,
  asn: number,
  previous?: PeeringDbRecordItem | null,
): Promise<RecordRefresh> {
  const policy = refreshPolicy(deps.config.peeringdb_api.refresh_hours);
  const before = previous === undefined ? await peeringDbRecord(deps.data, asn) : previous;
  let network: PeeringDbNetwork | null;
  try {
    network = await client.getNetwork(asn);
  } catch (e) {
    if (!isPeeringDbError(e)) throw e;
    const at = deps.now();
    const fields = failureFields(before, at, e, policy);
    await deps.data.entities.peeringDbRecord.upsert({ asn, ...fields }).go();
    deps.log.warn("PeeringDB lookup failed; the last good record stays", {
      asn,
      code: e.code,
      transient: e.transient,
      failures: fields.failures,
      nextRefreshAt: fields.nextRefreshAt,
    });
    return { asn, ok: false, changed: false, errorCode: e.code };
  }
  const at = deps.now();
  const { set } = successFields(at, policy);
  const changed =
    policyView(before?.found ? (before.network as PeeringDbNetwork) : null) !== policyView(network);
  const update = deps.data.entities.peeringDbRecord.upsert({
    asn,
    ...set,
    found: network !== null,
    ...(network ? { network } : {}),
  });
  await update.go();
  // A record PeeringDB no longer has, or one that had failures: clear what no longer holds.
  const stale = [
    ...(network ? [] : ["network" as const]),
    ...(before?.lastErrorCode
      ? ([
          "lastErrorCode",
          "lastError",
          "lastFailureAt",
          "lastFailureTransient",
          "retryAfterSeconds",
        ] as const)
      : []),
  ];
  if (stale.length > 0) await deps.data.entities.peeringDbRecord.patch({ asn }).remove(stale).go();
  if (changed) await bumpPolicyDataGeneration(deps.data, deps.now());
  return { asn, ok: true, changed };
}

/** Refreshes the never-via-route-servers list; `changed` when its ASNs differ. */
export async function refreshNeverVia(
  deps: Pick<WorkerDeps, "config" | "data" | "now" | "log">,
  client: PeeringDbClient,
): Promise<{ ok: boolean; changed: boolean; count?: number }> {
  const policy = refreshPolicy(deps.config.peeringdb_api.refresh_hours);
  const before = (await deps.data.entities.neverViaList.get({}).go({ consistent: true })).data;
  let asns: number[];
  try {
    asns = await client.listNeverViaRouteServers();
  } catch (e) {
    if (!isPeeringDbError(e)) throw e;
    await deps.data.entities.neverViaList.upsert({ ...failureFields(before, deps.now(), e, policy) }).go();
    deps.log.warn("PeeringDB never-via list refresh failed; the last good list stays", { code: e.code });
    return { ok: false, changed: false };
  }
  const { set } = successFields(deps.now(), policy);
  await deps.data.entities.neverViaList.upsert({ ...set, asns }).go();
  if (before?.lastErrorCode) {
    await deps.data.entities.neverViaList
      .patch({})
      .remove(["lastErrorCode", "lastError", "lastFailureAt", "lastFailureTransient", "retryAfterSeconds"])
      .go();
  }
  const changed = JSON.stringify(before?.asns ?? []) !== JSON.stringify(asns);
  if (changed) await bumpPolicyDataGeneration(deps.data, deps.now());
  return { ok: true, changed, count: asns.length };
}
