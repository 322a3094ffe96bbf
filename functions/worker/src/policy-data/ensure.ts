import { irrPrefixLists, peeringDbRecord } from "@ztix/data";
import { type PolicyOverrides, peeringDbFacts, resolveIrrTargets } from "@ztix/route-servers";
import type { WorkerDeps } from "../deps.ts";
import { refreshIrrList } from "./irr.ts";
import { peeringDbClientFor, refreshPeeringDbRecord } from "./peeringdb.ts";

/**
 * Before a new member reaches the route servers: read its PeeringDB record and build its IRR
 * lists if they were never read, so its first config already has its own limits and prefixes
 * instead of waiting for the schedule. Failures are recorded on the records and never stop
 * the request (the member starts with the defaults and the schedule tries again).
 */
export async function ensurePolicyData(deps: WorkerDeps, asn: number, overrides: PolicyOverrides = {}) {
  let record = await peeringDbRecord(deps.data, asn);
  if (!record?.lastSuccessAt && deps.config.peeringdb_api.enabled) {
    await refreshPeeringDbRecord(deps, peeringDbClientFor(deps), asn, record);
    record = await peeringDbRecord(deps.data, asn);
  }
  if (deps.config.route_server_policy.irr.mode === "off" || !deps.config.irr_sources.host) return;
  const { targets } = resolveIrrTargets(asn, overrides, peeringDbFacts(record ?? undefined));
  const lists = await irrPrefixLists(deps.data, targets);
  for (const target of targets) {
    const item = lists.get(target);
    if (!item?.listsGz && !item?.lastFailureAt) await refreshIrrList(deps, target, item ?? null);
  }
}
