import { z } from "zod";
import { secretRefSchema } from "./secret-ref.ts";

/**
 * Where the route servers' per-member data comes from, and how often it is read again: each
 * member network's PeeringDB record (prefix counts → max-prefix, as-set, never-via-route-servers)
 * and the IRR prefix lists built from its as-set with bgpq4. The worker refreshes both on the
 * reconcile schedule; a changed answer reaches the route servers through a reconcile.
 */
export const peeringDbApiConfigSchema = z
  .strictObject({
    /** Off: no lookups; members get the default limits and their ASN as IRR object. */
    enabled: z.boolean().default(true),
    base_url: z.url().default("https://www.peeringdb.com"),
    /** A PeeringDB API key (read-only). Without one, PeeringDB answers anonymously, with a lower rate limit. */
    api_key: secretRefSchema.optional(),
    /** A good record is read again after this long. */
    refresh_hours: z.number().int().min(1).max(720).default(24),
    /** At most this many lookups per scheduled run (PeeringDB rate-limits per key). */
    lookups_per_run: z.number().int().min(1).max(1000).default(30),
    timeout_seconds: z.number().int().min(1).max(120).default(10),
  })
  .prefault({});
export type PeeringDbApiConfig = z.infer<typeof peeringDbApiConfigSchema>;

export const irrSourcesConfigSchema = z
  .strictObject({
    /**
     * The IRRd whois server bgpq4 asks (`-h`), e.g. `rr.ntt.net` or `whois.radb.net`. Absent:
     * no IRR lists are built (members have no IRR data; `strict` mode needs this set).
     */
    host: z.string().min(1).max(253).optional(),
    port: z.number().int().min(1).max(65_535).default(43),
    /** IRR databases in priority order (`-S`); empty: whatever the server serves. */
    sources: z
      .array(z.string().regex(/^[A-Za-z0-9-]{1,32}$/, "an IRR source name like RIPE"))
      .max(32)
      .default(["RIPE", "ARIN", "APNIC", "AFRINIC", "LACNIC", "RADB"]),
    /** bgpq4 is killed after this long (both families); large as-sets are the known failure. */
    timeout_seconds: z.number().int().min(1).max(3600).default(120),
    /** A list above this many prefixes per family is refused (the last good list stays). */
    max_prefixes: z.number().int().min(1).max(2_000_000).default(100_000),
    /** bgpq4's output above this many bytes is refused. */
    max_bytes: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    refresh_hours: z.number().int().min(1).max(720).default(12),
    /** At most this many bgpq4 builds per scheduled run. */
    builds_per_run: z.number().int().min(1).max(1000).default(10),
    bgpq4_path: z.string().min(1).default("bgpq4"),
    /** Keep private and documentation origin ASNs (labs and the local stack use documentation ASNs). */
    allow_private_asns: z.boolean().default(false),
  })
  .prefault({});
export type IrrSourcesConfig = z.infer<typeof irrSourcesConfigSchema>;
