import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type AdminContext, createLocalUser, showUser } from "@ztix/auth";
import type { RuntimeConfig } from "@ztix/core";
import { type OidcStandIn, prepareDemoUsers, signInHelp, startOidcStandIn } from "../oidc-standin.ts";

/**
 * Where to run the PeeringDB stand-in: at the issuer, only when the config asks for it
 * (`auth.peeringdb.stand_in: true`, which the schema allows only for a local issuer). An
 * issuer on localhost without it is another OpenID provider on this machine: left alone.
 */
export function wantsStandIn(config: RuntimeConfig): URL | undefined {
  const { enabled, stand_in, issuer } = config.auth.peeringdb;
  return enabled && stand_in ? new URL(issuer) : undefined;
}

export async function startStandIn(
  config: RuntimeConfig,
  dir: string,
  clientSecret: string,
): Promise<OidcStandIn | undefined> {
  const issuer = wantsStandIn(config);
  if (!issuer) return undefined;
  return startOidcStandIn({
    port: Number(issuer.port || 80),
    issuerHost: issuer.hostname,
    clientId: config.auth.peeringdb.client_id,
    clientSecret,
    redirectUris: [new URL(config.auth.peeringdb.redirect_path, config.public_url).href],
    keyFile: join(dir, "oidc-standin-key.json"),
  });
}

export interface DemoAccount {
  username: string;
  password: string;
  isAdmin: boolean;
  asns: number[];
}

/** Local demo accounts; passwords are generated once and kept in the git-ignored secrets file. */
export function demoAccounts(secrets: Record<string, string>): DemoAccount[] {
  return [
    { username: "admin", password: secrets.demo_admin_password ?? "", isAdmin: true, asns: [] },
    // AS64511 has a demo member router; AS64503 is flagged never-via-route-servers in PeeringDB.
    {
      username: "operator",
      password: secrets.demo_operator_password ?? "",
      isAdmin: false,
      asns: [64511, 64503],
    },
  ];
}

export const newDemoPasswords = () => ({
  demo_admin_password: randomBytes(9).toString("base64url"),
  demo_operator_password: randomBytes(9).toString("base64url"),
});

/** Creates the demo accounts that do not exist yet (idempotent) and returns how to sign in. */
export async function prepareDemo(
  ctx: AdminContext,
  accounts: DemoAccount[],
  standIn?: OidcStandIn,
): Promise<string> {
  const lines: string[] = [];
  for (const account of accounts) {
    if (!account.password) continue;
    const existing = await showUser(ctx, { username: account.username }).catch(() => undefined);
    if (!existing) {
      await createLocalUser(ctx, {
        username: account.username,
        password: account.password,
        isAdmin: account.isAdmin,
        asns: account.asns,
        displayName: account.isAdmin ? "Demo admin (local)" : "Demo operator (local)",
      });
    }
    lines.push(
      `  local account ${account.username} / ${account.password}${account.isAdmin ? "  (admin)" : `  (AS${account.asns.join(", AS")})`}`,
    );
  }
  if (standIn) {
    await prepareDemoUsers(ctx);
    lines.push(
      ...signInHelp(standIn)
        .split("\n")
        .map((l) => `  ${l}`),
    );
  }
  return lines.join("\n");
}
