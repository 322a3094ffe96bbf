import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * No defaults here on purpose: writes are upserts, and a default would overwrite the last good
 * data on a write that records a failure.
 *
 * How a refreshed source stands: when it last answered, how many failures since, and when it
 * is due again. The same fields for PeeringDB records and IRR lists, so one schedule reads both.
 */
const refreshAttributes = {
  /** When the source last gave a good answer (absent: never). */
  lastSuccessAt: { type: "string" },
  /** Failures in a row since then. */
  failures: { type: "number" },
  lastFailureAt: { type: "string" },
  lastFailureTransient: { type: "boolean" },
  retryAfterSeconds: { type: "number" },
  lastErrorCode: { type: "string" },
  lastError: { type: "string" },
  /** When the schedule should read it again (ISO 8601). */
  nextRefreshAt: { type: "string", required: true },
  updatedAt: { type: "string", required: true },
} as const;

/**
 * A member network's PeeringDB record, kept between lookups: the last good copy stays when a
 * lookup fails (`failures` counts, the age shows), so PeeringDB being down or throttling never
 * changes what the route servers do. `found: false` is PeeringDB's answer "no such network".
 */
export const peeringDbRecordEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "peeringDbRecord", version: "1", service },
      attributes: {
        asn: { type: "number", required: true },
        /** Absent until the first good answer. */
        found: { type: "boolean" },
        /** The record as @ztix/peeringdb returns it (PeeringDbNetwork), when found. */
        network: { type: "any" },
        ...refreshAttributes,
      },
      indexes: {
        byAsn: { pk: { field: "pk", composite: ["asn"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type PeeringDbRecordItem = EntityItem<ReturnType<typeof peeringDbRecordEntity>>;

/** The one list of ASNs PeeringDB flags `info_never_via_route_servers`. */
export const neverViaListEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "neverViaList", version: "1", service },
      attributes: {
        /** Ascending; absent until the first good answer. */
        asns: { type: "list", items: { type: "number" } },
        ...refreshAttributes,
      },
      indexes: {
        singleton: { pk: { field: "pk", composite: [] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type NeverViaListItem = EntityItem<ReturnType<typeof neverViaListEntity>>;

/**
 * Changes whenever stored data that route-server files are rendered from changes (a PeeringDB
 * figure, an IRR list, the never-via list). A warm worker keeps that data between reconciles
 * and re-reads it only when this differs, so a reconcile for one new member reads one item
 * here instead of every member's records.
 */
export const policyDataGenerationEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "policyDataGeneration", version: "1", service },
      attributes: {
        generation: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        singleton: { pk: { field: "pk", composite: [] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );

/**
 * The prefixes one IRR object (an as-set or an ASN) expands to, as bgpq4 built them last time
 * it succeeded. Lists are stored gzip-compressed (10,000 IPv4 prefixes are ~150 KB as JSON and
 * ~30 KB compressed, well inside DynamoDB's 400 KB item limit). A failed build keeps the last
 * good lists and sets `stale`: nothing is ever silently emptied.
 */
export const irrPrefixListEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "irrPrefixList", version: "1", service },
      attributes: {
        /** Canonical IRR name: `AS-EXAMPLE`, `RIPE::AS-FOO`, `AS64500`. */
        target: { type: "string", required: true },
        /** The IRR sources of the last good build. */
        sources: { type: "list", items: { type: "string" } },
        /** gzip(JSON {ipv4: string[], ipv6: string[]}), base64; absent until the first good build. */
        listsGz: { type: "string" },
        count4: { type: "number" },
        count6: { type: "number" },
        /** sha256 of the lists, to tell a change from a rebuild that found the same. */
        hash: { type: "string" },
        /** The last build failed: these lists are the last good ones. */
        stale: { type: "boolean" },
        buildMs: { type: "number" },
        bytes: { type: "number" },
        ...refreshAttributes,
      },
      indexes: {
        byTarget: { pk: { field: "pk", composite: ["target"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type IrrPrefixListItem = EntityItem<ReturnType<typeof irrPrefixListEntity>>;
