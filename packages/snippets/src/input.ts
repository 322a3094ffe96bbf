import {
  AppError,
  anyAsnSchema,
  canonicalIpv6,
  describeIssues,
  ipv4InCidr,
  ipv4ToInt,
  ipv6InCidr,
  ipv6ToBigInt,
  networkIdSchema,
  parseIpv4Cidr,
  parseIpv6Cidr,
  splitNetworkId,
} from "@ztix/core";
import { z } from "zod";

/*
 * Everything a snippet prints comes from here, and every value that reaches a router's config
 * is held to a character set that cannot end a statement, open a block, quote, comment or
 * continue a line on any of the five platforms. Free text (the network's name) is only ever
 * printed inside a line comment, and even there may not hold a line break or a backslash
 * (RouterOS joins a line ending in `\` with the next one, comment or not).
 */

export type Family = "ipv4" | "ipv6";
export const families: readonly Family[] = ["ipv4", "ipv6"];

/** An address on the IX LAN with the LAN's prefix length: what the member puts on its interface. */
export interface LanAddress {
  /** Canonical text (IPv6 per RFC 5952). */
  address: string;
  length: number;
  /** `address/length`, canonical. */
  cidr: string;
}

export interface RouteServer {
  name: string;
  asn: number;
  ipv4?: string;
  ipv6?: string;
}

/** One BGP session the snippet configures: a route server in one address family. */
export interface Session {
  family: Family;
  routeServer: { name: string; asn: number };
  /** The route server's address in that family (canonical). */
  neighbor: string;
  /** The member's own address in that family (canonical), the session's source. */
  local: string;
}

/** The validated, canonical input every renderer works from. */
export interface SnippetPlan {
  network: { id: string; suffix: string; name: string };
  member: { asn: number; ipv4?: LanAddress; ipv6?: LanAddress };
  /** The import limit the route servers apply to this member's announcements, per family. */
  limits: { ipv4?: number; ipv6?: number };
  password?: string;
  /** Sorted by name, so the order the caller lists them in never changes the text. */
  routeServers: RouteServer[];
  /** IPv4 sessions first, then IPv6; within a family, by route-server name. */
  sessions: Session[];
  /** The families that have at least one session. */
  families: Family[];
}

/** Splits `addr/len` without judging it; the refinements below do that. */
function splitCidr(text: string): [string, string] {
  const slash = text.indexOf("/");
  return slash < 0 ? [text, ""] : [text.slice(0, slash), text.slice(slash + 1)];
}

function throwsNot(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

// Core's parsers are the strict ones (no octal, no short forms, no zone ids); node's isIP is not.
const ipv4Text = (v: string) => throwsNot(() => ipv4ToInt(v));
const ipv6Text = (v: string) => throwsNot(() => canonicalIpv6(v));

/**
 * An IX LAN is at least a /8 or /16 and must leave room for a route server beside the member:
 * /31 and /127 still do (RFC 3021, RFC 6164), a host route does not.
 */
const lanLength = { ipv4: { min: 8, max: 31 }, ipv6: { min: 16, max: 127 } } as const;

/** Why `addr/len` is not a usable member address on an IPv4 LAN, or null when it is. */
function ipv4LanProblem(text: string): string | null {
  const [ip, len] = splitCidr(text);
  if (!ipv4Text(ip) || !throwsNot(() => parseIpv4Cidr(text))) {
    return "must be the member's IPv4 address with the LAN's prefix length, like 192.0.2.10/24";
  }
  const length = Number(len);
  if (length < lanLength.ipv4.min || length > lanLength.ipv4.max) {
    return `the prefix length must be /${lanLength.ipv4.min} to /${lanLength.ipv4.max}`;
  }
  if (!unicastIpv4(ip)) return ipv4UnicastMessage;
  if (length < 31) {
    const host = ipv4ToInt(ip) - parseIpv4Cidr(text).network;
    if (host === 0 || host === 2 ** (32 - length) - 1) {
      return "is the LAN's network or broadcast address, not one a router can use";
    }
  }
  return null;
}

/** Why `addr/len` is not a usable member address on an IPv6 LAN, or null when it is. */
function ipv6LanProblem(text: string): string | null {
  const [ip, len] = splitCidr(text);
  if (!ipv6Text(ip) || !throwsNot(() => parseIpv6Cidr(text))) {
    return "must be the member's IPv6 address with the LAN's prefix length, like 2001:db8:100::a/64";
  }
  const length = Number(len);
  if (length < lanLength.ipv6.min || length > lanLength.ipv6.max) {
    return `the prefix length must be /${lanLength.ipv6.min} to /${lanLength.ipv6.max}`;
  }
  if (!unicastIpv6(ip)) return ipv6UnicastMessage;
  // The all-zero host is the subnet-router anycast address (RFC 4291 2.6.1), except on a /127.
  if (length < 127 && ipv6ToBigInt(ip) === parseIpv6Cidr(text).network) {
    return "is the LAN's subnet-router anycast address, not one a router can use";
  }
  return null;
}

function unicastIpv4(ip: string): boolean {
  return !["0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/3"].some((net) => ipv4InCidr(ip, net));
}
const ipv4UnicastMessage = "must be a unicast address (not 0/8, loopback, multicast or reserved)";

function unicastIpv6(ip: string): boolean {
  // Link-local needs an interface scope the snippet cannot know; multicast, :: and ::1 never peer.
  return !ipv6InCidr(ip, "fe80::/10") && !ipv6InCidr(ip, "ff00::/8") && ipv6ToBigInt(ip) > 1n;
}
const ipv6UnicastMessage =
  "must be a global or unique-local unicast address (not link-local, multicast, :: or ::1)";

/** A string schema from a problem finder, so one refinement reports the one problem that matters. */
function checked(problem: (v: string) => string | null) {
  return z.string().superRefine((v, ctx) => {
    const message = problem(v);
    if (message !== null) ctx.addIssue({ code: "custom", message });
  });
}

const ipv4LanSchema = checked(ipv4LanProblem);
const ipv6LanSchema = checked(ipv6LanProblem);

const ipv4AddressSchema = checked((v) =>
  !ipv4Text(v) ? "must be an IPv4 address like 192.0.2.1" : unicastIpv4(v) ? null : ipv4UnicastMessage,
);
const ipv6AddressSchema = checked((v) =>
  !ipv6Text(v) ? "must be an IPv6 address like 2001:db8:100::1" : unicastIpv6(v) ? null : ipv6UnicastMessage,
);

/** The same rule as a route server's id in the runtime config: it becomes part of router names. */
const routeServerNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, "must be 1-32 lower-case letters, digits or '-', starting with a letter");

/**
 * Printed only in comments. Printable ASCII (some router CLIs mangle anything else), no
 * backslash or double quote, no leading or trailing blank.
 */
const networkNameSchema = z
  .string()
  .regex(
    /^[!#-[\]-~](?:[ !#-[\]-~]{0,62}[!#-[\]-~])?$/,
    "must be 1-64 printable ASCII characters without '\\' or '\"', not starting or ending with a space",
  );

/**
 * A TCP MD5 key every platform takes bare or in double quotes without escaping: no blank,
 * quote, backslash, `$` (RouterOS expands it), `?` (IOS-XR's help key), `!`, `#` or `;`.
 * 80 bytes is Linux's limit (TCP_MD5SIG_MAXKEYLEN) and IOS-XR's.
 */
const passwordSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9._~@%+=:,/-]{1,80}$/,
    "must be 1-80 characters: letters, digits and . _ ~ @ % + = : , / -",
  );

/** The route servers restart a session above their limit; 10 million is above any real table. */
const limitSchema = z.number().int().min(1).max(10_000_000);

const routeServerSchema = z
  .strictObject({
    name: routeServerNameSchema,
    asn: anyAsnSchema,
    ipv4: ipv4AddressSchema.optional(),
    ipv6: ipv6AddressSchema.optional(),
  })
  .refine(
    (rs) => rs.ipv4 !== undefined || rs.ipv6 !== undefined,
    "a route server needs an IPv4 or IPv6 address",
  );

export const snippetInputSchema = z
  .strictObject({
    network: z.strictObject({
      /** The ZeroTier network id the member joined (16 hex digits); names use its 6-hex suffix. */
      id: networkIdSchema,
      name: networkNameSchema,
    }),
    member: z.strictObject({
      asn: anyAsnSchema,
      /** The member's peering address on the LAN with the LAN's prefix length, e.g. 192.0.2.10/24. */
      ipv4: ipv4LanSchema.optional(),
      ipv6: ipv6LanSchema.optional(),
    }),
    /** What the route servers accept from the member per family (their import limit). */
    limits: z.strictObject({ ipv4: limitSchema.optional(), ipv6: limitSchema.optional() }).optional(),
    /** TCP MD5 key shared with the route servers; none unless the exchange set one. */
    password: passwordSchema.optional(),
    routeServers: z.array(routeServerSchema).min(1).max(16),
  })
  .superRefine((input, ctx) => {
    const { member } = input;
    // Zod still runs this when a field failed its own check. Those failures are reported
    // already, and checking how the fields fit together would only repeat them.
    const fieldsValid =
      input.routeServers.length > 0 &&
      (member.ipv4 === undefined || ipv4LanProblem(member.ipv4) === null) &&
      (member.ipv6 === undefined || ipv6LanProblem(member.ipv6) === null) &&
      input.routeServers.every((rs) => routeServerSchema.safeParse(rs).success);
    if (!fieldsValid) return;
    if (member.ipv4 === undefined && member.ipv6 === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["member"],
        message: "the member needs an IPv4 or IPv6 peering address",
      });
      return;
    }
    const names = new Set<string>();
    const seen = new Map<string, string>();
    input.routeServers.forEach((rs, i) => {
      if (names.has(rs.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["routeServers", i, "name"],
          message: `duplicate name ${rs.name}`,
        });
      }
      names.add(rs.name);
      if (rs.asn === member.asn) {
        ctx.addIssue({
          code: "custom",
          path: ["routeServers", i, "asn"],
          message: `is the member's own ASN: a route-server session is eBGP`,
        });
      }
      for (const family of families) {
        const ip = rs[family];
        const lan = member[family];
        // A route server's address in a family the member does not peer in makes no session.
        if (ip === undefined || lan === undefined) continue;
        const [own] = splitCidr(lan);
        const key = canonical(family, ip);
        const other = seen.get(key);
        if (other !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["routeServers", i, family],
            message: `${ip} is also ${other}'s address`,
          });
        }
        seen.set(key, rs.name);
        const inLan = family === "ipv4" ? ipv4InCidr(ip, lan) : ipv6InCidr(ip, lan);
        if (!inLan) {
          ctx.addIssue({
            code: "custom",
            path: ["routeServers", i, family],
            message: `${ip} is outside the member's LAN ${lanAddress(family, lan).cidr}: route servers peer on the LAN`,
          });
        } else if (key === canonical(family, own)) {
          ctx.addIssue({
            code: "custom",
            path: ["routeServers", i, family],
            message: `${ip} is the member's own address`,
          });
        }
      }
    });
    for (const family of families) {
      if (member[family] !== undefined && !input.routeServers.some((rs) => rs[family] !== undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["member", family],
          message: `the member peers over ${label(family)} but no route server has an ${label(family)} address`,
        });
      }
    }
  });

/** What callers hand in (before validation). */
export type SnippetInput = z.input<typeof snippetInputSchema>;

function canonical(family: Family, ip: string): string {
  return family === "ipv6" ? canonicalIpv6(ip) : ip;
}

function lanAddress(family: Family, text: string): LanAddress {
  const [ip, len] = splitCidr(text);
  const address = canonical(family, ip);
  const length = Number(len);
  return { address, length, cidr: `${address}/${length}` };
}

export function label(family: Family): "IPv4" | "IPv6" {
  return family === "ipv4" ? "IPv4" : "IPv6";
}

/** `v4` / `v6`: the family part of every generated name. */
export function tag(family: Family): "v4" | "v6" {
  return family === "ipv4" ? "v4" : "v6";
}

/** Code-point order, never the locale's: the same names sort the same on every machine. */
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Validates the input and puts it in canonical form. Throws `validation_failed` naming every
 * bad field, so a caller (the API, the SPA's preview) can show the operator what to fix.
 */
export function parseSnippetInput(input: unknown): SnippetPlan {
  const result = snippetInputSchema.safeParse(input);
  if (!result.success) {
    const problems = describeIssues(result.error.issues);
    throw new AppError("validation_failed", `invalid snippet input: ${problems.join("; ")}`, { problems });
  }
  const data = result.data;
  const member: SnippetPlan["member"] = { asn: data.member.asn };
  for (const family of families) {
    const text = data.member[family];
    if (text !== undefined) member[family] = lanAddress(family, text);
  }
  const routeServers = data.routeServers
    .map((rs) => {
      const out: RouteServer = { name: rs.name, asn: rs.asn };
      for (const family of families) {
        const ip = rs[family];
        if (ip !== undefined) out[family] = canonical(family, ip);
      }
      return out;
    })
    .sort(byName);
  const sessions: Session[] = [];
  for (const family of families) {
    const own = member[family];
    if (own === undefined) continue;
    for (const rs of routeServers) {
      const neighbor = rs[family];
      if (neighbor === undefined) continue;
      sessions.push({ family, routeServer: { name: rs.name, asn: rs.asn }, neighbor, local: own.address });
    }
  }
  const limits: SnippetPlan["limits"] = {};
  for (const family of families) {
    const limit = data.limits?.[family];
    if (limit !== undefined && member[family] !== undefined) limits[family] = limit;
  }
  return {
    network: { id: data.network.id, suffix: splitNetworkId(data.network.id).suffix, name: data.network.name },
    member,
    limits,
    ...(data.password === undefined ? {} : { password: data.password }),
    routeServers,
    sessions,
    families: families.filter((f) => sessions.some((s) => s.family === f)),
  };
}
