import { randomUUID } from "node:crypto";
import { AppError, asnSchema, networkIdSchema, type RuntimeConfig } from "@ztix/core";
import {
  assertCommitted,
  asTransientCancellation,
  auditItem,
  type DataService,
  isConditionFailure,
  peeringDbUserId,
  type UserItem,
} from "@ztix/data";
import { normalizeUsername } from "./local-login.ts";
import { userAsns } from "./networks.ts";
import { hashPassword, passwordProblem } from "./password.ts";
import { endUserSessions } from "./session.ts";

/**
 * What `npm run users -- ...` does, as functions (the CLI is a thin shell over these, and the
 * tests call them directly). Everything is validated before anything is written; each change
 * is one DynamoDB transaction together with its audit event, so nothing is ever half-done.
 */
export interface AdminContext {
  data: DataService;
  config: RuntimeConfig;
  /** Who is acting (recorded in the audit trail). */
  actor?: string;
  now?: () => Date;
}

/** A user by local username or by id (`pdb-<id>` for PeeringDB users). */
export type UserRef = { username: string } | { userId: string };

export interface UserFields {
  displayName?: string;
  isAdmin?: boolean;
  /** Replaces the ops-granted ASNs (PeeringDB affiliations are re-synced at login instead). */
  asns?: (number | string)[];
  /** Replaces the network-access rows; an empty list means "any active network". */
  networks?: string[];
}

export interface UserDetails {
  user: UserItem;
  asns: Awaited<ReturnType<typeof userAsns>>;
  networks: string[];
}

/** Ops-chosen usernames: lower-case letters, digits and . _ - (login lower-cases what it is given). */
const usernamePattern = /^[a-z0-9][a-z0-9._-]{1,63}$/;
/** Keeps every change inside DynamoDB's 100-item transaction limit. */
const MAX_ROWS = 90;

const invalid = (fields: Record<string, string[]>) =>
  new AppError(
    "validation_failed",
    `invalid input: ${Object.entries(fields)
      .map(([k, v]) => `${k}: ${v.join("; ")}`)
      .join(", ")}`,
    {
      fields,
    },
  );

/** Validates ASNs with the deployment's policy and networks against the ixNetwork table (ids or 6-hex suffixes). */
async function validateFields(ctx: AdminContext, fields: UserFields) {
  const problems: Record<string, string[]> = {};
  const problem = (field: string, message: string) => {
    problems[field] = [...(problems[field] ?? []), message];
  };
  const policy = {
    allowPrivate: ctx.config.asn_policy.allow_private,
    allowDocumentation: ctx.config.asn_policy.allow_documentation,
  };
  const asns = new Set<number>();
  for (const raw of fields.asns ?? []) {
    const parsed = asnSchema(policy).safeParse(raw);
    if (parsed.success) asns.add(parsed.data);
    else problem("asn", parsed.error.issues.map((i) => i.message).join("; ") || `invalid ASN ${raw}`);
  }
  const networks = new Set<string>();
  if (fields.networks?.length) {
    const known = (await ctx.data.entities.ixNetwork.query.all({}).go({ pages: "all" })).data;
    for (const raw of fields.networks) {
      const value = raw.trim().toLowerCase();
      const match = known.find((n) => n.networkId === value || n.suffix === value);
      if (match) networks.add(match.networkId);
      else if (!networkIdSchema.safeParse(value).success && !/^[0-9a-f]{6}$/.test(value)) {
        problem("zt_network_id", `${raw}: must be a 16-hex-digit network id or its 6-hex-digit suffix`);
      } else {
        problem(
          "zt_network_id",
          `${raw}: no such IX network (known: ${known.map((n) => n.networkId).join(", ") || "none yet"})`,
        );
      }
    }
  }
  if (
    fields.displayName !== undefined &&
    (fields.displayName.trim().length === 0 || fields.displayName.length > 128)
  ) {
    problems.display_name = ["must be 1 to 128 characters"];
  }
  if (asns.size + networks.size > MAX_ROWS)
    problems.asn = [...(problems.asn ?? []), `at most ${MAX_ROWS} ASNs and networks together`];
  if (Object.keys(problems).length) throw invalid(problems);
  return { asns: [...asns].sort((a, b) => a - b), networks: [...networks].sort() };
}

async function resolveUser(ctx: AdminContext, ref: UserRef): Promise<UserItem> {
  let userId: string | undefined;
  if ("username" in ref) {
    const cred = (
      await ctx.data.entities.localCredential
        .get({ username: normalizeUsername(ref.username) })
        .go({ consistent: true })
    ).data;
    userId = cred?.userId;
  } else userId = ref.userId;
  const user = userId ? (await ctx.data.entities.user.get({ userId }).go({ consistent: true })).data : null;
  if (!user)
    throw new AppError("not_found", `no such user: ${"username" in ref ? ref.username : ref.userId}`);
  return user;
}

function audit(
  ctx: AdminContext,
  user: UserItem,
  action: string,
  metadata: Record<string, unknown>,
  now: Date,
) {
  return auditItem({
    subject: `user#${user.userId}`,
    action,
    actorType: "system",
    actorId: ctx.actor ?? "ops",
    message: `${action} ${user.username ?? user.userId}`,
    metadata,
    at: now,
  });
}

async function commit(
  ctx: AdminContext,
  build: Parameters<DataService["transaction"]["write"]>[0],
  conflict: string,
) {
  try {
    assertCommitted(await ctx.data.transaction.write(build).go());
  } catch (e) {
    if (isConditionFailure(e)) throw new AppError("conflict", conflict);
    throw asTransientCancellation(e);
  }
}

type TxEntities = Parameters<Parameters<DataService["transaction"]["write"]>[0]>[0];

/**
 * The transaction items granting ASNs (as ops grants, kept across PeeringDB logins) and
 * network access to a user; creation and update share them.
 */
function grantItems(
  tx: TxEntities,
  userId: string,
  grants: { asns: number[]; networks: string[] },
  at: string,
) {
  return [
    ...grants.asns.map((asn) => tx.userAsn.put({ userId, asn, source: "local", createdAt: at }).commit()),
    ...grants.networks.map((networkId) =>
      tx.userNetworkAccess.create({ userId, networkId, createdAt: at }).commit(),
    ),
  ];
}

/** Creates a local account (password required) with optional ASNs and network restrictions. */
export async function createLocalUser(
  ctx: AdminContext,
  input: UserFields & { username: string; password: string },
): Promise<UserDetails> {
  const username = normalizeUsername(input.username);
  const problems: Record<string, string[]> = {};
  if (!usernamePattern.test(username))
    problems.username = ["2-64 of a-z 0-9 . _ -, starting with a letter or digit"];
  const pw = passwordProblem(input.password);
  if (pw) problems.password = [pw];
  if (Object.keys(problems).length) throw invalid(problems);
  const { asns, networks } = await validateFields(ctx, input);
  const now = (ctx.now ?? (() => new Date()))();
  const at = now.toISOString();
  const user: UserItem = {
    userId: randomUUID(),
    username,
    displayName: input.displayName?.trim() || username,
    source: "local",
    isAdmin: input.isAdmin ?? false,
    disabled: false,
    createdAt: at,
    updatedAt: at,
  };
  const passwordHash = await hashPassword(input.password);
  const event = audit(
    ctx,
    user,
    "user.created",
    { source: "local", is_admin: user.isAdmin, asns, networks },
    now,
  );
  await commit(
    ctx,
    (tx) => [
      tx.localCredential
        .create({ username, userId: user.userId, passwordHash, createdAt: at, updatedAt: at })
        .commit(),
      tx.user.create(user).commit(),
      ...grantItems(tx, user.userId, { asns, networks }, at),
      tx.auditEvent.create(event).commit(),
    ],
    `username ${username} is taken`,
  );
  return showUser(ctx, { userId: user.userId });
}

/**
 * Prepares a PeeringDB user before their first sign-in (e.g. to make them an admin): the
 * login later fills in name and affiliations and keeps the admin flag.
 */
export async function createPeeringDbUser(
  ctx: AdminContext,
  input: UserFields & { peeringdbId: number },
): Promise<UserDetails> {
  if (!Number.isInteger(input.peeringdbId) || input.peeringdbId < 1)
    throw invalid({ peeringdb_id: ["must be a positive integer"] });
  const { asns, networks } = await validateFields(ctx, input);
  const now = (ctx.now ?? (() => new Date()))();
  const at = now.toISOString();
  const user: UserItem = {
    userId: peeringDbUserId(input.peeringdbId),
    peeringdbId: input.peeringdbId,
    displayName: input.displayName?.trim() || `PeeringDB user ${input.peeringdbId}`,
    source: "peeringdb",
    isAdmin: input.isAdmin ?? false,
    disabled: false,
    createdAt: at,
    updatedAt: at,
  };
  const event = audit(
    ctx,
    user,
    "user.created",
    { source: "peeringdb", is_admin: user.isAdmin, asns, networks },
    now,
  );
  await commit(
    ctx,
    (tx) => [
      tx.user.create(user).commit(),
      ...grantItems(tx, user.userId, { asns, networks }, at),
      tx.auditEvent.create(event).commit(),
    ],
    `user ${user.userId} already exists`,
  );
  return showUser(ctx, { userId: user.userId });
}

/** Changes a user's name, admin flag, password (local users), ASNs or network restrictions. */
export async function updateUser(
  ctx: AdminContext,
  ref: UserRef,
  changes: UserFields & { password?: string },
): Promise<UserDetails> {
  const user = await resolveUser(ctx, ref);
  if (changes.password !== undefined) {
    if (user.source !== "local" || !user.username) {
      throw invalid({ password: ["PeeringDB users sign in at PeeringDB; they have no password here"] });
    }
    const pw = passwordProblem(changes.password);
    if (pw) throw invalid({ password: [pw] });
  }
  const { asns, networks } = await validateFields(ctx, changes);
  const now = (ctx.now ?? (() => new Date()))();
  const at = now.toISOString();

  const [asnRows, accessRows] = await Promise.all([
    ctx.data.entities.userAsn.query.byUser({ userId: user.userId }).go({ pages: "all" }),
    ctx.data.entities.userNetworkAccess.query.byUser({ userId: user.userId }).go({ pages: "all" }),
  ]);
  const localAsns = asnRows.data.filter((r) => r.source === "local").map((r) => r.asn);
  const asnAdds = changes.asns ? asns.filter((a) => !localAsns.includes(a)) : [];
  const asnRemovals = changes.asns ? localAsns.filter((a) => !asns.includes(a)) : [];
  const currentNetworks = accessRows.data.map((r) => r.networkId);
  const netAdds = changes.networks ? networks.filter((n) => !currentNetworks.includes(n)) : [];
  const netRemovals = changes.networks ? currentNetworks.filter((n) => !networks.includes(n)) : [];
  const passwordHash = changes.password !== undefined ? await hashPassword(changes.password) : undefined;

  const set: Partial<UserItem> = { updatedAt: at };
  if (changes.displayName !== undefined) set.displayName = changes.displayName.trim();
  if (changes.isAdmin !== undefined) set.isAdmin = changes.isAdmin;
  const metadata = {
    display_name: set.displayName,
    is_admin: set.isAdmin,
    password_changed: passwordHash !== undefined || undefined,
    asns_added: asnAdds.length ? asnAdds : undefined,
    asns_removed: asnRemovals.length ? asnRemovals : undefined,
    networks_added: netAdds.length ? netAdds : undefined,
    networks_removed: netRemovals.length ? netRemovals : undefined,
  };
  const event = audit(ctx, user, "user.updated", metadata, now);
  await commit(
    ctx,
    (tx) => [
      tx.user.patch({ userId: user.userId }).set(set).commit(),
      ...(passwordHash
        ? [
            tx.localCredential
              .patch({ username: user.username! })
              .set({ passwordHash, updatedAt: at })
              .commit(),
          ]
        : []),
      // An ASN PeeringDB also reports becomes an ops grant (kept across logins) when listed here.
      ...grantItems(tx, user.userId, { asns: asnAdds, networks: netAdds }, at),
      ...asnRemovals.map((asn) => tx.userAsn.delete({ userId: user.userId, asn }).commit()),
      ...netRemovals.map((networkId) =>
        tx.userNetworkAccess.delete({ userId: user.userId, networkId }).commit(),
      ),
      tx.auditEvent.create(event).commit(),
    ],
    "the user changed meanwhile; try again",
  );
  // A new password ends every session signed in with the old one.
  if (passwordHash) await endUserSessions(ctx.data, user.userId);
  return showUser(ctx, { userId: user.userId });
}

/** Disables or re-enables a user. Disabling ends the user's sessions. */
export async function setUserDisabled(
  ctx: AdminContext,
  ref: UserRef,
  disabled: boolean,
): Promise<UserDetails> {
  const user = await resolveUser(ctx, ref);
  const now = (ctx.now ?? (() => new Date()))();
  const event = audit(
    ctx,
    user,
    disabled ? "user.disabled" : "user.enabled",
    { was_disabled: user.disabled },
    now,
  );
  await commit(
    ctx,
    ({ user: users, auditEvent }) => [
      users.patch({ userId: user.userId }).set({ disabled, updatedAt: now.toISOString() }).commit(),
      auditEvent.create(event).commit(),
    ],
    "the user changed meanwhile; try again",
  );
  if (disabled) await endUserSessions(ctx.data, user.userId);
  return showUser(ctx, { userId: user.userId });
}

export async function showUser(ctx: AdminContext, ref: UserRef): Promise<UserDetails> {
  const user = await resolveUser(ctx, ref);
  const access = await ctx.data.entities.userNetworkAccess.query
    .byUser({ userId: user.userId })
    .go({ pages: "all" });
  return {
    user,
    asns: await userAsns(ctx.data, user.userId),
    networks: access.data.map((r) => r.networkId).sort(),
  };
}

/** Every user (a scan: an ops command, not a request path). */
export async function listUsers(ctx: AdminContext): Promise<UserItem[]> {
  const out = await ctx.data.entities.user.scan.go({ pages: "all" });
  return out.data.sort((a, b) => (a.username ?? a.userId).localeCompare(b.username ?? b.userId));
}
