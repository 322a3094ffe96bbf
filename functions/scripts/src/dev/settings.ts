import { existsSync, readFileSync } from "node:fs";
import { describeIssues } from "@ztix/core";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * What `npm run dev` starts besides the product: `.ztix/dev.yaml` (`ZTIX_DEV_CONFIG` names
 * another file). Every stand-in starts only because this file (or, for the controller emulator
 * and the PeeringDB sign-in stand-in, the runtime config) says so, never because a URL points
 * at this machine: a real service on 127.0.0.1 is used as it is when its switch is off.
 */
export const devSettingsSchema = z.strictObject({
  stand_ins: z
    .strictObject({
      /** The PeeringDB REST API stand-in (demo `net` records), at `peeringdb_api.base_url`. */
      peeringdb: z.boolean().default(false),
      /** The IRRd whois stand-in (demo RPSL) at `irr_sources.host:port`, which bgpq4 queries. */
      irr: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * Route servers of the runtime config that the launcher runs itself: one BIRD 2 daemon each,
   * its files in the directory of its `paths.main_config`, reached as production reaches a
   * route server, over SSH with the pinned host key, through one OpenSSH server on
   * 127.0.0.1:`ssh.port` whose keys live in `.ztix/sshd`. Needs bird2 and openssh-server.
   */
  route_servers: z.array(z.string()).default([]),
  /**
   * As root, where `ip netns` works: member routers (BIRD) in network namespaces, on one
   * bridged peering LAN with the route servers, announcing demo prefixes once the controller
   * authorizes their node ids (a real ZeroTier node gets its addresses the same way).
   */
  demo_members: z.boolean().default(false),
});
export type DevSettings = z.infer<typeof devSettingsSchema>;

export const noDevSettings: DevSettings = devSettingsSchema.parse({});

/** The dev settings a first `npm run dev` writes (everything on that this machine can run). */
export function devSettingsText(options: { routeServers: string[] }): string {
  const list = options.routeServers.length > 0 ? `[${options.routeServers.join(", ")}]` : "[]";
  return `# npm run dev only: what the launcher starts besides the product. Read at start: restart
# npm run dev after a change. Nothing here starts because a URL points at this machine; with a
# switch off, the runtime config's URL is used as it is (a real service, here or elsewhere).
# The controller emulator and the PeeringDB sign-in stand-in are switched in the runtime config
# itself: controller.emulator and auth.peeringdb.stand_in.
stand_ins:
  # PeeringDB REST API stand-in (demo net records) at peeringdb_api.base_url.
  peeringdb: true
  # IRRd whois stand-in (demo RPSL) at irr_sources.host:port, which bgpq4 queries.
  irr: true
# Route servers (ids from the runtime config) run here: a BIRD 2 daemon each, reached over SSH
# with the pinned host key through one OpenSSH server on 127.0.0.1 (keys in .ztix/sshd).
route_servers: ${list}
# As root with ip netns: demo member routers in network namespaces peering with them.
demo_members: ${options.routeServers.length > 0 ? "true" : "false"}
`;
}

/** Reads the dev settings; a missing file means nothing extra starts. A bad file names the field. */
export function loadDevSettings(path: string): { settings: DevSettings; found: boolean } {
  if (!existsSync(path)) return { settings: noDevSettings, found: false };
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = devSettingsSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw new Error(`${path} is invalid:\n  ${describeIssues(parsed.error.issues).join("\n  ")}`);
  return { settings: parsed.data, found: true };
}
