import { isIP } from "node:net";
import { z } from "zod";
import { anyAsnSchema, ipv4Schema, ipv6Schema, networkSuffixSchema } from "../ids.ts";
import { parseIpv4Cidr, parseIpv6Cidr } from "../ip.ts";
import { sshTargetSchema } from "./secret-ref.ts";

/**
 * A remote path that is safe to put inside a double-quoted BIRD string and a single-quoted
 * shell word: absolute, no quotes, backslashes, whitespace or glob characters.
 */
const remotePathSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9._/-]*$/, "must be an absolute path of letters, digits and . _ / -")
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

/** A command name or absolute path (no arguments, no shell metacharacters). */
const commandSchema = z.string().regex(/^[A-Za-z0-9._/-]+$/, "a command name or absolute path");

/** An RTR cache host: an IP address or a DNS name (BIRD resolves names itself). */
const rtrHostSchema = z
  .string()
  .refine(
    (v) =>
      isIP(v) !== 0 ||
      /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}$/.test(v),
    "must be an IP address or a host name",
  );

const rtrCacheSchema = z
  .strictObject({
    host: rtrHostSchema,
    port: z.number().int().min(1).max(65535).default(323),
    /** Seconds between reconnect attempts after a failure (BIRD's own default is 600). */
    retry_seconds: z.number().int().min(1).max(7200).default(90),
    /** Seconds between serial queries when the cache sends no notifications. */
    refresh_seconds: z.number().int().min(1).max(86400).default(900),
    /** Seconds after which ROAs from an unreachable cache are dropped (must exceed refresh). */
    expire_seconds: z.number().int().min(600).max(172800).default(7200),
  })
  .refine((c) => c.expire_seconds > c.refresh_seconds, {
    message: "expire_seconds must be greater than refresh_seconds",
    path: ["expire_seconds"],
  });
export type RtrCacheConfig = z.infer<typeof rtrCacheSchema>;

function prefixOk(prefix: string, family: 4 | 6): boolean {
  try {
    if (family === 4) parseIpv4Cidr(prefix);
    else parseIpv6Cidr(prefix);
    return true;
  } catch {
    return false;
  }
}

/** One static ROA (labs without an RTR cache): rendered into a `protocol static` feeding roa4/roa6. */
const staticRoaSchema = z
  .strictObject({
    prefix: z.string().refine((p) => prefixOk(p, 4) || prefixOk(p, 6), "must be an IPv4 or IPv6 prefix"),
    max_length: z.number().int().min(0).max(128),
    asn: anyAsnSchema,
  })
  .superRefine((roa, ctx) => {
    const len = Number(roa.prefix.split("/")[1]);
    const limit = prefixOk(roa.prefix, 4) ? 32 : 128;
    if (roa.max_length < len || roa.max_length > limit) {
      ctx.addIssue({ code: "custom", path: ["max_length"], message: `must be between ${len} and ${limit}` });
    }
  });
export type StaticRoa = z.infer<typeof staticRoaSchema>;

/** A value or a list of values, always read back as a list. */
function oneOrMany<T extends z.ZodType<string>>(item: T) {
  return z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));
}

/** One route server of the exchange, reached over SSH with a pinned host key. */
export const routeServerSchema = z.strictObject({
  /** Stable short id; becomes part of BIRD names and DynamoDB keys. */
  id: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, "lower-case letters, digits and '-', starting with a letter"),
  ssh: sshTargetSchema,
  /** The route server's ASN: sent in OPEN, never prepended to paths (rs client). */
  asn: anyAsnSchema,
  router_id: ipv4Schema,
  /**
   * The IX networks (suffixes) whose members this route server carries; absent = all of them.
   * Members of other networks never get a session here.
   */
  networks: z.array(networkSuffixSchema).min(1).optional(),
  /**
   * The route server's own addresses on the peering LANs (what members peer with): one per
   * network it serves, matched to a network by its prefix. A single address is enough when it
   * serves one network.
   */
  peering_ipv4: oneOrMany(ipv4Schema).optional(),
  peering_ipv6: oneOrMany(ipv6Schema).optional(),
  paths: z
    .strictObject({
      /** BIRD's main config; it must include `policy_file` and `"<members_dir>/*.conf"` verbatim. */
      main_config: remotePathSchema.default("/etc/bird/bird.conf"),
      /** The generated policy (templates, filters, RPKI); replaced when the policy changes. */
      policy_file: remotePathSchema.default("/etc/bird/ztix/policy.conf"),
      /**
       * Managed wholly by ZT-IX: one generated file per member (`AS<asn>_<network>_<node>.conf`)
       * and the config digest; any other `*.conf` here is removed at the next reconcile.
       */
      members_dir: remotePathSchema.default("/etc/bird/ztix/members"),
      /** Scratch space for one apply: the previous versions of the files it replaces. */
      staging_dir: remotePathSchema.default("/var/lib/ztix/staging"),
      control_socket: remotePathSchema.default("/run/bird/bird.ctl"),
    })
    .prefault({}),
  commands: z
    .strictObject({
      bird: commandSchema.default("bird"),
      birdc: commandSchema.default("birdc"),
    })
    .prefault({}),
  rpki: z
    .strictObject({
      /** RTR caches (validators) this route server connects to; one `protocol rpki` each. */
      rtr_caches: z.array(rtrCacheSchema).default([]),
      /** Lab option: ROAs written into the config instead of (or besides) an RTR cache. */
      static_roas: z.array(staticRoaSchema).default([]),
    })
    .prefault({}),
});
export type RouteServerConfig = z.infer<typeof routeServerSchema>;

const lengthBounds = (max: number, min = 0) =>
  z
    .tuple([z.number().int().min(min).max(max), z.number().int().min(min).max(max)])
    .refine(([lo, hi]) => lo <= hi, "the lower bound must not exceed the upper bound");

/**
 * Import policy every route server applies to every member session. Defaults follow the
 * anchors (arouteserver, IXP Manager) and RFC 7947/8326; see route-server-policy.md.
 */
export const routeServerPolicySchema = z
  .strictObject({
    /** `birdc configure timeout N`: BIRD reverts by itself unless confirmed within N seconds. */
    configure_timeout_seconds: z.number().int().min(2).max(600).default(60),
    /**
     * The longest any one remote command of an apply may take (a configure of a large route
     * server parses its whole config). It also bounds how long a route server stays in doubt
     * after a worker died before BIRD answered its configure.
     */
    command_timeout_seconds: z.number().int().min(5).max(600).default(120),
    as_path_max_length: z.number().int().min(1).max(255).default(64),
    /** Accepted prefix lengths [shortest, longest], inclusive. */
    ipv4_prefix_length: lengthBounds(32).default([8, 24]),
    ipv6_prefix_length: lengthBounds(128).default([16, 48]),
    max_prefix: z
      .strictObject({
        /**
         * Receive limit when the member's own figure (e.g. PeeringDB) is unknown. BIRD's
         * `receive limit` counts every route the member sends, filtered ones included, so a
         * member cannot fill the route server's memory with routes it would reject anyway.
         */
        ipv4_default: z.number().int().min(1).default(100),
        ipv6_default: z.number().int().min(1).default(50),
        /** Added on top of a known figure, rounded up: 20 → 100 prefixes become a limit of 120. */
        headroom_percent: z.number().int().min(0).max(1000).default(20),
        /**
         * The lowest limit a known figure gives: a member whose PeeringDB entry says 1 prefix is
         * not torn down for announcing its second one.
         */
        ipv4_floor: z.number().int().min(1).default(10),
        ipv6_floor: z.number().int().min(1).default(10),
        /**
         * How long a session torn down by its limit stays down: BIRD's `error wait time min, max`
         * (the first restart waits `min` seconds, each further one within `restart_forget_seconds`
         * twice as long, up to `max`). BIRD applies it to every automatic restart after an error
         * (hold timer expired, a NOTIFICATION received), not to the limit alone.
         */
        restart_wait_seconds: lengthBounds(86_400, 1).default([60, 300]),
        /** BIRD's `error forget time`: errors further apart than this start again at `min`. */
        restart_forget_seconds: z.number().int().min(1).max(86_400).default(300),
      })
      .prefault({}),
    /**
     * IRR filtering of member routes against the prefix lists the IRR job supplies per member
     * (`irr` on the member: route and route6 objects of its as-set, exact or more specific).
     * - `strict`: a route not registered is rejected (reason 9). MANRS for IXPs asks for this.
     * - `tag` (default): such a route is accepted and tagged `(rs-asn, 1000, 7)`, so members and
     *   the looking glass see what strict mode would drop before an exchange turns it on; a
     *   member without IRR data (new, or its first lookup failed) keeps its routes meanwhile.
     * - `off`: no IRR check and no IRR tags; member files carry no prefix lists.
     * RPKI-invalid routes are rejected in every mode.
     */
    irr: z
      .strictObject({
        mode: z.enum(["off", "tag", "strict"]).default("tag"),
        /**
         * An RPKI-valid route is accepted though not registered in the IRR (tagged
         * `(rs-asn, 1000, 8)`): a signed ROA is stronger evidence than a route object.
         */
        rpki_valid_stands_in: z.boolean().default(true),
      })
      .prefault({}),
    /**
     * RFC 7999 blackholing, available on networks with `blackhole_ipv4` / `blackhole_ipv6`:
     * the longest prefix a BLACKHOLE route may have (an ordinary route keeps the ordinary
     * limit). Must not be shorter than the ordinary maximum.
     */
    blackholing: z
      .strictObject({
        ipv4_max_length: z.number().int().min(0).max(32).default(32),
        ipv6_max_length: z.number().int().min(0).max(128).default(128),
      })
      .prefault({}),
    /** Transit-free networks that must never appear behind a member. */
    transit_free_asns: z
      .array(anyAsnSchema)
      .default([174, 701, 1299, 2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018, 12956]),
    /**
     * Labs only: treat documentation prefixes (RFC 5737, RFC 3849) and documentation ASNs
     * (RFC 5398) as ordinary, so a lab built from documentation resources can exchange routes.
     */
    allow_documentation_resources: z.boolean().default(false),
  })
  .superRefine((p, ctx) => {
    const checks = [
      ["ipv4_max_length", p.blackholing.ipv4_max_length, p.ipv4_prefix_length[1]],
      ["ipv6_max_length", p.blackholing.ipv6_max_length, p.ipv6_prefix_length[1]],
    ] as const;
    for (const [key, blackhole, ordinary] of checks) {
      if (blackhole < ordinary) {
        ctx.addIssue({
          code: "custom",
          path: ["blackholing", key],
          message: `must be at least the ordinary maximum prefix length (${ordinary})`,
        });
      }
    }
  })
  .prefault({});
export type RouteServerPolicy = z.infer<typeof routeServerPolicySchema>;
