import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newDemoPasswords } from "./demo.ts";
import { devSettingsText } from "./settings.ts";

export interface LocalPorts {
  /** The API and SPA (`ZTIX_PORT`). */
  api: number;
  /** The controller emulator (`ZTIX_CONTROLLER_PORT`). */
  controller: number;
  /** The PeeringDB sign-in stand-in, an OpenID provider (`ZTIX_OIDC_PORT`). */
  oidc: number;
  /** The loopback sshd the route servers are reached through (`ZTIX_SSH_PORT`). */
  ssh?: number;
  /** The PeeringDB REST API stand-in (`ZTIX_PEERINGDB_PORT`). */
  peeringdb?: number;
  /** The IRRd whois stand-in (`ZTIX_IRR_PORT`). */
  irr?: number;
}

/** A port from the environment: a number from 1 to 65535, else an error naming the variable. */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`${name}=${raw}: a port is a whole number from 1 to 65535`);
  }
  return port;
}

/** The ports a first run writes into the config (the environment changes them before that run). */
export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): Required<LocalPorts> {
  return {
    api: portFromEnv("ZTIX_PORT", 8787, env),
    controller: portFromEnv("ZTIX_CONTROLLER_PORT", 9393, env),
    oidc: portFromEnv("ZTIX_OIDC_PORT", 8789, env),
    ssh: portFromEnv("ZTIX_SSH_PORT", 8722, env),
    peeringdb: portFromEnv("ZTIX_PEERINGDB_PORT", 8791, env),
    irr: portFromEnv("ZTIX_IRR_PORT", 8743, env),
  };
}

export const defaultPorts: LocalPorts = {
  api: Number(process.env.ZTIX_PORT ?? 8787),
  controller: Number(process.env.ZTIX_CONTROLLER_PORT ?? 9393),
  oidc: Number(process.env.ZTIX_OIDC_PORT ?? 8789),
};

/** The demo IX: its route-server ASN and the two route servers' addresses on the peering LAN. */
export const DEV_IX = {
  rsAsn: 64496,
  ipv4Prefix: "10.147.17.0/24",
  ipv6Prefix: "2001:db8:147::/64",
  routeServers: [
    { id: "dev-rs1", ipv4: "10.147.17.1", ipv6: "2001:db8:147::1" },
    { id: "dev-rs2", ipv4: "10.147.17.2", ipv6: "2001:db8:147::2" },
  ],
} as const;

/**
 * ROAs the dev route servers hold (no RTR cache needed): the demo members' own prefixes are
 * RPKI valid, and 198.51.100.0/24 is signed for AS64501, so AS64500 announcing it is invalid.
 */
export const DEV_ROAS = [
  { prefix: "192.0.2.0/24", max_length: 24, asn: 64500 },
  { prefix: "2001:db8:1::/48", max_length: 48, asn: 64500 },
  { prefix: "198.51.100.0/24", max_length: 24, asn: 64501 },
  { prefix: "2001:db8:511::/48", max_length: 48, asn: 64511 },
];

/** What a first run found it can run here: local route servers, bgpq4. */
export interface LocalPlan {
  routeServers?: {
    /** `.ztix/route-servers`: one directory per route server. */
    baseDir: string;
    sshPort: number;
    sshUser: string;
    hostKeyFingerprint: string;
    userPrivateKey: string;
    bird: string;
    birdc: string;
  };
  bgpq4?: string;
}

/** The secret holding the client key the worker logs in to the dev route servers with. */
export const DEV_RS_KEY_SECRET = "dev_route_server_ssh_key";

function routeServersYaml(plan: NonNullable<LocalPlan["routeServers"]>): string {
  const roas = DEV_ROAS.map(
    (r) => `        - { prefix: "${r.prefix}", max_length: ${r.max_length}, asn: ${r.asn} }`,
  ).join("\n");
  return DEV_IX.routeServers
    .map((rs) => {
      const dir = join(plan.baseDir, rs.id);
      return `  - id: ${rs.id}
    asn: ${DEV_IX.rsAsn}
    router_id: ${rs.ipv4}
    peering_ipv4: ${rs.ipv4}
    peering_ipv6: "${rs.ipv6}"
    ssh:
      host: 127.0.0.1
      port: ${plan.sshPort}
      user: ${plan.sshUser}
      # The host key of .ztix/sshd/host_key, pinned: any other key is refused.
      host_key_fingerprint: "${plan.hostKeyFingerprint}"
      private_key: { secret: ${DEV_RS_KEY_SECRET} }
    commands: { bird: ${plan.bird}, birdc: ${plan.birdc} }
    paths:
      main_config: ${dir}/bird.conf
      policy_file: ${dir}/ztix/policy.conf
      members_dir: ${dir}/ztix/members
      staging_dir: ${dir}/staging
      control_socket: ${dir}/bird.ctl
    rpki:
      static_roas:
${roas}`;
    })
    .join("\n");
}

/**
 * The runtime config a first `npm run dev` writes: it asks for the emulated controller and the
 * OIDC stand-in, points PeeringDB and IRR lookups at the stand-ins `.ztix/dev.yaml` starts,
 * and lists the local route servers when this machine can run them.
 */
export function localRuntimeConfig(ports: LocalPorts, dir: string, plan: LocalPlan = {}): string {
  const all = { ...portsFromEnv({}), ...ports };
  const rs = plan.routeServers;
  // Strict IRR filtering needs the lists bgpq4 builds; without bgpq4 unregistered routes are tagged.
  const irrMode = plan.bgpq4 ? "strict" : "tag";
  return `# Written by the first \`npm run dev\`; edit freely (see runtime-config.example.yaml for every field)
# and restart npm run dev: the config is read at start. To use a real controller or OpenID
# provider, set controller.emulator / auth.peeringdb.stand_in to false and point
# controller.transport / auth.peeringdb at them; the other stand-ins are switched in dev.yaml.
public_url: http://localhost:${all.api}
asn_policy:
  allow_private: true
  allow_documentation: true
auth:
  peeringdb:
    # Start the PeeringDB stand-in (demo users) at the issuer below.
    stand_in: true
    issuer: http://localhost:${all.oidc}/
    client_id: ztix-local
    client_secret: { secret: peeringdb_client_secret }
workflow:
  approval_mode: manual_admin
networks:
  - suffix: "000001"
    name: ZT-IX Local
    description: Local demo peering LAN
    ipv4: { prefix: ${DEV_IX.ipv4Prefix}, pool_start: 10.147.17.10, pool_end: 10.147.17.250 }
    ipv6: { prefix: "${DEV_IX.ipv6Prefix}", scheme: asn_embedded }
controller:
  provider: self_hosted_controller
  # Start the controller emulator at the URL below.
  emulator: true
  transport: { kind: direct, url: "http://127.0.0.1:${all.controller}" }
  token: { secret: controller_token }
  # The emulator's home: backups archive it, restores replace it. The emulator, like
  # zerotier-one, reads it only at start: restart \`npm run dev\` after a restore.
  home_dir: ${join(dir, "controller")}
  restart_command: "true"
${
  rs
    ? `# Two BIRD 2 route servers on this machine (run by npm run dev: see route_servers in
# .ztix/dev.yaml), each with its own daemon, socket and files under ${plan.routeServers?.baseDir}.
route_servers:
${routeServersYaml(rs)}`
    : `# No route servers: bird2 and openssh-server were not installed when this file was written.
# Install them (sudo apt-get install bird2 openssh-server), then delete this file and
# .ztix/dev.yaml to have them written again with two local route servers.
route_servers: []`
}
route_server_policy:
  # The demo uses documentation prefixes and ASNs (RFC 5737, 3849, 5398).
  allow_documentation_resources: true
  configure_timeout_seconds: 30
  irr: { mode: ${irrMode} }
# PeeringDB records (prefix counts, as-set, never-via-route-servers) from the stand-in.
peeringdb_api:
  base_url: http://127.0.0.1:${all.peeringdb}
  api_key: { secret: peeringdb_api_key }
# IRR prefix lists built with bgpq4 from the whois stand-in's demo RPSL.
irr_sources:
  host: 127.0.0.1
  port: ${all.irr}
  sources: [TEST, RIPE]
  allow_private_asns: true${plan.bgpq4 ? `\n  bgpq4_path: ${plan.bgpq4}` : ""}
`;
}

/** Where local runs read the runtime config: ZTIX_RUNTIME_CONFIG, ./runtime-config.yaml, else `.ztix/`. */
export function localConfigPath(dir: string): string {
  return (
    process.env.ZTIX_RUNTIME_CONFIG ??
    (existsSync("runtime-config.yaml") ? "runtime-config.yaml" : join(dir, "runtime-config.yaml"))
  );
}

/** Where the dev settings live: ZTIX_DEV_CONFIG, else `.ztix/dev.yaml`. */
export function devSettingsPath(dir: string): string {
  return process.env.ZTIX_DEV_CONFIG ?? join(dir, "dev.yaml");
}

/**
 * Creates `.ztix/` with a secrets file, runtime config and dev settings on first run; never
 * overwrites a file. Secrets the config names that the file lacks (added by a newer launcher)
 * are generated into it.
 */
export function ensureLocalFiles(dir: string, ports: LocalPorts, plan: LocalPlan = {}) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretsPath = join(dir, "secrets.json");
  const configPath = localConfigPath(dir);
  const firstRun = !existsSync(secretsPath);
  const existing = firstRun ? {} : (JSON.parse(readFileSync(secretsPath, "utf8")) as Record<string, string>);
  const wanted: Record<string, () => string> = {
    controller_token: () => randomBytes(18).toString("hex"),
    peeringdb_client_secret: () => randomBytes(24).toString("base64url"),
    peeringdb_api_key: () => randomBytes(18).toString("base64url"),
    session_key: () => randomBytes(32).toString("base64url"),
    ...Object.fromEntries(Object.entries(newDemoPasswords()).map(([k, v]) => [k, () => v])),
    ...(plan.routeServers ? { [DEV_RS_KEY_SECRET]: () => plan.routeServers!.userPrivateKey } : {}),
  };
  const secrets = { ...existing };
  for (const [name, make] of Object.entries(wanted)) secrets[name] ??= make();
  if (firstRun || Object.keys(secrets).length !== Object.keys(existing).length) {
    writeFileSync(secretsPath, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  const configWritten = !existsSync(configPath);
  if (configWritten) writeFileSync(configPath, localRuntimeConfig(ports, dir, plan));
  const settingsPath = devSettingsPath(dir);
  if (configWritten && !existsSync(settingsPath)) {
    const ids = plan.routeServers ? DEV_IX.routeServers.map((r) => r.id) : [];
    writeFileSync(settingsPath, devSettingsText({ routeServers: ids }));
  }
  return { secretsPath, configPath, settingsPath, secrets, firstRun, configWritten };
}
