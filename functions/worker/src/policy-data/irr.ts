import { bumpPolicyDataGeneration, decodeIrrLists, encodeIrrLists, type IrrPrefixListItem } from "@ztix/data";
import { expandPrefixes, IrrError, isIrrError, normalizeSources } from "@ztix/irr";
import type { WorkerDeps } from "../deps.ts";
import { failureFields, refreshPolicy, successFields } from "./refresh-state.ts";

/** DynamoDB takes items up to 400 KB; a compressed list past this is refused like an oversized answer. */
const MAX_STORED_BYTES = 350 * 1024;

export interface ListRefresh {
  target: string;
  ok: boolean;
  /** The prefixes differ from the stored ones (or there were none). */
  changed: boolean;
  errorCode?: string;
  count4?: number;
  count6?: number;
  durationMs?: number;
}

/** Whether the stored list was built from other sources than the configured ones (then rebuild it). */
export function builtFromOtherSources(deps: Pick<WorkerDeps, "config">, item: IrrPrefixListItem): boolean {
  const wanted = normalizeSources(deps.config.irr_sources.sources);
  return JSON.stringify(item.sources ?? []) !== JSON.stringify(wanted);
}

/**
 * Builds one IRR object's prefix lists with bgpq4 (time, byte and count limits from config)
 * and stores them. A failed build keeps the last good lists and marks them stale, so a
 * member is never left with an empty list because an IRR server was down or a set grew
 * too large; only failures of our own storage throw.
 */
export async function refreshIrrList(
  deps: Pick<WorkerDeps, "config" | "data" | "now" | "log">,
  target: string,
  previous?: IrrPrefixListItem | null,
): Promise<ListRefresh> {
  const cfg = deps.config.irr_sources;
  const host = cfg.host;
  if (!host) return { target, ok: false, changed: false, errorCode: "irr_not_configured" };
  const policy = refreshPolicy(cfg.refresh_hours);
  const before =
    previous === undefined
      ? (await deps.data.entities.irrPrefixList.get({ target }).go({ consistent: true })).data
      : previous;
  const [, v4max] = deps.config.route_server_policy.ipv4_prefix_length;
  const [, v6max] = deps.config.route_server_policy.ipv6_prefix_length;
  try {
    const built = await expandPrefixes(target, {
      host,
      port: cfg.port,
      sources: cfg.sources,
      timeoutMs: cfg.timeout_seconds * 1000,
      maxBytes: cfg.max_bytes,
      maxPrefixes: cfg.max_prefixes,
      maxLength: { ipv4: v4max, ipv6: v6max },
      allowPrivateAsns: cfg.allow_private_asns,
      bgpq4Path: cfg.bgpq4_path,
    });
    const encoded = encodeIrrLists(built);
    if (encoded.listsGz.length > MAX_STORED_BYTES) {
      throw new IrrError(
        "irr_too_large",
        `${target}: ${built.ipv4.length + built.ipv6.length} prefixes are more than can be stored (${encoded.listsGz.length} bytes compressed)`,
        false,
        { asSet: target },
      );
    }
    const at = deps.now();
    const { set, remove } = successFields(at, policy);
    await deps.data.entities.irrPrefixList
      .upsert({
        target,
        ...set,
        sources: built.sources,
        listsGz: encoded.listsGz,
        hash: encoded.hash,
        count4: built.ipv4.length,
        count6: built.ipv6.length,
        stale: false,
        buildMs: built.durationMs,
        bytes: built.bytes,
      })
      .go();
    if (before?.lastErrorCode)
      await deps.data.entities.irrPrefixList
        .patch({ target })
        .remove([...remove])
        .go();
    // New prefixes, or good lists again after stale ones (the file says which it has).
    const changed = before?.hash !== encoded.hash || before?.stale === true;
    if (changed) await bumpPolicyDataGeneration(deps.data, deps.now());
    return {
      target,
      ok: true,
      changed,
      count4: built.ipv4.length,
      count6: built.ipv6.length,
      durationMs: built.durationMs,
    };
  } catch (e) {
    if (!isIrrError(e)) throw e;
    const fields = failureFields(before, deps.now(), e, policy);
    const stale = before?.listsGz !== undefined;
    await deps.data.entities.irrPrefixList.upsert({ target, ...fields, stale }).go();
    // Last good lists now marked stale: their members' files say so.
    const newlyStale = stale && before?.stale !== true;
    if (newlyStale) await bumpPolicyDataGeneration(deps.data, deps.now());
    deps.log.warn("IRR build failed; the last good list stays", {
      target,
      code: e.code,
      transient: e.transient,
      hasLastGood: before?.listsGz !== undefined,
      nextRefreshAt: fields.nextRefreshAt,
    });
    return { target, ok: false, changed: newlyStale, errorCode: e.code };
  }
}

export { decodeIrrLists };
