import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { type AdminContext, createPeeringDbUser, updateUser } from "@ztix/auth";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";

/**
 * A local OpenID provider that plays PeeringDB (auth.peeringdb.com) for dev runs and tests:
 * a real, certified `oidc-provider` with PeeringDB's scopes and claims (`networks` with
 * `perms`, `verified_user`), RS256 keys, client_secret_post and PKCE. Its login page is a
 * bare form on its own origin; no consent screen (grants are given at once).
 */

export interface StandInNetwork {
  id: number;
  asn: number;
  name: string;
  /** PeeringDB bitmask: 1 read, 2 update, 4 create, 8 delete. */
  perms: number;
}

export interface StandInUser {
  /** The PeeringDB user id (becomes `sub` and `id`). */
  id: number;
  username: string;
  password: string;
  name: string;
  email: string;
  verified_user: boolean;
  networks: StandInNetwork[];
}

/** Demo users for `npm run dev` (documentation ASNs, RFC 5398). */
export const DEMO_USERS: StandInUser[] = [
  {
    id: 9001,
    username: "demo-admin",
    password: "demo",
    name: "Demo Admin",
    email: "admin@example.net",
    verified_user: true,
    networks: [{ id: 90001, asn: 64496, name: "Demo Exchange Operations", perms: 15 }],
  },
  {
    id: 9002,
    username: "demo-operator",
    password: "demo",
    name: "Demo Operator",
    email: "noc@example.org",
    verified_user: true,
    networks: [
      { id: 90002, asn: 64500, name: "Example Network", perms: 15 },
      { id: 90003, asn: 64501, name: "Example Sister Network", perms: 1 },
    ],
  },
];

export interface OidcStandInOptions {
  port?: number;
  /** Address to bind (default 127.0.0.1: the stand-in is for this machine only). */
  host?: string;
  /** Host name in the issuer URL (default `localhost`, as the dev runtime config names it). */
  issuerHost?: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  users?: StandInUser[];
  /** Keep the signing key here (e.g. `.ztix/oidc-standin-key.json`) so restarts keep the same JWKS. */
  keyFile?: string;
}

export interface OidcStandIn {
  issuer: string;
  users: StandInUser[];
  /** The provider itself: tests add Koa middleware with `provider.use(...)`. */
  provider: Provider;
  /** The private signing JWK (tests forge tokens signed by the real key with it). */
  signingJwk: JWK;
  stop(): Promise<void>;
}

async function signingKey(keyFile: string | undefined): Promise<JWK> {
  if (keyFile && existsSync(keyFile)) return JSON.parse(readFileSync(keyFile, "utf8")) as JWK;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: randomBytes(8).toString("hex"),
    alg: "RS256",
    use: "sig",
  };
  if (keyFile) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
  }
  return jwk;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );

function loginPage(uid: string, users: StandInUser[], error?: string): string {
  const options = users
    .map((u) => `<li><code>${escapeHtml(u.username)}</code> — ${escapeHtml(u.name)}</li>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PeeringDB stand-in: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
<h1>PeeringDB (local stand-in)</h1>
<p>This page plays auth.peeringdb.com for local development.</p>
${error ? `<p role="alert" style="color: #a00">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label>Username <input name="username" autocomplete="username" required autofocus></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>
<p>Demo users:</p><ul>${options}</ul>
</body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error("form too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function send(res: ServerResponse, status: number, html: string) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

/** Starts the stand-in on `port` (0 or omitted: any free port). */
export async function startOidcStandIn(options: OidcStandInOptions): Promise<OidcStandIn> {
  const users = options.users ?? DEMO_USERS;
  const host = options.host ?? "127.0.0.1";
  const bySub = new Map(users.map((u) => [String(u.id), u]));
  const byUsername = new Map(users.map((u) => [u.username, u]));
  const jwk = await signingKey(options.keyFile);

  // The listener comes first: the issuer URL needs the port.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
    send(res, 503, "starting");
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${options.issuerHost ?? "localhost"}:${port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
        id_token_signed_response_alg: "RS256",
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    scopes: ["openid", "profile", "email", "networks"],
    claims: {
      openid: ["sub"],
      profile: ["id", "name", "given_name", "family_name", "verified_user"],
      email: ["email", "verified_email"],
      networks: ["networks"],
    },
    // Custom claims (networks) go into the id_token too, as PeeringDB's do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    // Explicit lifetimes (seconds): PeeringDB-like, and they keep oidc-provider's notices quiet.
    ttl: {
      AuthorizationCode: 60,
      AccessToken: 600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const user = bySub.get(sub);
      if (!user) return undefined;
      const [given, ...family] = user.name.split(" ");
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            id: user.id,
            name: user.name,
            given_name: given,
            family_name: family.join(" "),
            email: user.email,
            verified_email: true,
            verified_user: user.verified_user,
            networks: user.networks,
          };
        },
      };
    },
    // No consent screen: every authorization gets a fresh grant for exactly what it asked.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope(String(ctx.oidc.params?.scope ?? ""));
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);

  async function interaction(req: IncomingMessage, res: ServerResponse, path: string) {
    const [, , uid, action] = path.split("/");
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, "interaction mismatch");
    if (req.method === "GET") return send(res, 200, loginPage(details.uid, users));
    if (req.method === "POST" && action === "login") {
      const form = await readForm(req);
      const user = byUsername.get(form.get("username") ?? "");
      if (!user || user.password !== form.get("password")) {
        return send(res, 200, loginPage(details.uid, users, "Unknown username or wrong password."));
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: String(user.id) } },
        {
          mergeWithLastSubmission: false,
        },
      );
      return;
    }
    send(res, 405, "method not allowed");
  }

  handler = (req, res) => {
    const path = new URL(req.url ?? "/", issuer).pathname;
    if (path.startsWith("/interaction/")) {
      interaction(req, res, path).catch(() => {
        if (!res.headersSent) send(res, 400, "this sign-in has expired; start again from the application");
      });
      return;
    }
    // Composed per request, so middleware added later with `provider.use` takes effect.
    provider.callback()(req, res);
  };

  return {
    issuer,
    users,
    provider,
    signingJwk: jwk,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Imports the stand-in's signing key (for tests that forge tokens with the real key). */
export const importSigningKey = (jwk: JWK) => importJWK(jwk, "RS256");

/**
 * Makes the demo admin an admin before its first sign-in (a login never changes the admin
 * flag, so dev runs need this once). Safe to call at every start.
 */
export async function prepareDemoUsers(ctx: AdminContext, users: StandInUser[] = DEMO_USERS): Promise<void> {
  const admin = users.find((u) => u.username === "demo-admin");
  if (!admin) return;
  const existing = await ctx.data.entities.user.get({ userId: `pdb-${admin.id}` }).go();
  if (!existing.data)
    await createPeeringDbUser(ctx, { peeringdbId: admin.id, displayName: admin.name, isAdmin: true });
  else if (!existing.data.isAdmin) await updateUser(ctx, { userId: existing.data.userId }, { isAdmin: true });
}

/** Sign-in instructions for the dev launcher to print. */
export function signInHelp(standIn: OidcStandIn): string {
  const lines = standIn.users.map(
    (u) =>
      `  ${u.username} / ${u.password}  (${u.name}; ${u.networks.map((n) => `AS${n.asn} perms ${n.perms}`).join(", ") || "no networks"})`,
  );
  return [
    `PeeringDB stand-in at ${standIn.issuer}: choose "Sign in with PeeringDB", then use`,
    ...lines,
  ].join("\n");
}

// `tsx functions/scripts/src/oidc-standin.ts [port]`: run the stand-in on its own.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? 8788);
  const publicUrl = process.env.ZTIX_PUBLIC_URL ?? "http://localhost:8787";
  startOidcStandIn({
    port,
    clientId: process.env.ZTIX_OIDC_CLIENT_ID ?? "ztix",
    clientSecret: process.env.ZTIX_OIDC_CLIENT_SECRET ?? "ztix-dev-secret",
    redirectUris: [`${publicUrl}/auth/callback`],
    keyFile: ".ztix/oidc-standin-key.json",
  }).then((standIn) => console.log(signInHelp(standIn)));
}
