import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newDemoPasswords } from "./demo.ts";

export interface LocalPorts {
  api: number;
  controller: number;
  oidc: number;
}

export const defaultPorts: LocalPorts = {
  api: Number(process.env.ZTIX_PORT ?? 8787),
  controller: Number(process.env.ZTIX_CONTROLLER_PORT ?? 9393),
  oidc: Number(process.env.ZTIX_OIDC_PORT ?? 8789),
};

/** The runtime config a first `npm run dev` writes: it asks for the emulated controller and the OIDC stand-in. */
export function localRuntimeConfig(ports: LocalPorts, dir: string): string {
  return `# Written by the first \`npm run dev\`; edit freely (see runtime-config.example.yaml for every field).
# To use a real controller or OpenID provider, set controller.emulator / auth.peeringdb.stand_in
# to false and point controller.transport / auth.peeringdb at them.
public_url: http://localhost:${ports.api}
asn_policy:
  allow_private: true
  allow_documentation: true
auth:
  peeringdb:
    # Start the PeeringDB stand-in (demo users) at the issuer below.
    stand_in: true
    issuer: http://localhost:${ports.oidc}/
    client_id: ztix-local
    client_secret: { secret: peeringdb_client_secret }
workflow:
  approval_mode: manual_admin
networks:
  - suffix: "000001"
    name: ZT-IX Local
    description: Local demo peering LAN
    ipv4: { prefix: 10.147.17.0/24, pool_start: 10.147.17.10, pool_end: 10.147.17.250 }
    ipv6: { prefix: "2001:db8:147::/64", scheme: asn_embedded }
controller:
  provider: self_hosted_controller
  # Start the controller emulator at the URL below.
  emulator: true
  transport: { kind: direct, url: "http://127.0.0.1:${ports.controller}" }
  token: { secret: controller_token }
  # The emulator's home: backups archive it, restores replace it. The emulator, like
  # zerotier-one, reads it only at start: restart \`npm run dev\` after a restore.
  home_dir: ${join(dir, "controller")}
  restart_command: "true"
route_servers: []
`;
}

/** Creates `.ztix/` with a secrets file and runtime config on first run; never overwrites. */
export function ensureLocalFiles(dir: string, ports: LocalPorts) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretsPath = join(dir, "secrets.json");
  const configPath =
    process.env.ZTIX_RUNTIME_CONFIG ??
    (existsSync("runtime-config.yaml") ? "runtime-config.yaml" : join(dir, "runtime-config.yaml"));
  const firstRun = !existsSync(secretsPath);
  if (firstRun) {
    const secrets = {
      controller_token: randomBytes(18).toString("hex"),
      peeringdb_client_secret: randomBytes(24).toString("base64url"),
      session_key: randomBytes(32).toString("base64url"),
      ...newDemoPasswords(),
    };
    writeFileSync(secretsPath, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  if (!existsSync(configPath)) writeFileSync(configPath, localRuntimeConfig(ports, dir));
  const secrets = JSON.parse(readFileSync(secretsPath, "utf8")) as Record<string, string>;
  return { secretsPath, configPath, secrets, firstRun };
}
