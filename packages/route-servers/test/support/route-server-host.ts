import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RouteServerConfig } from "@ztix/core";
import { renderMainConfig } from "../../src/index.ts";
import { type BirdInstance, startBird } from "./bird.ts";
import { routeServerFixture } from "./fixtures.ts";

export interface RouteServerHost {
  config: RouteServerConfig;
  bird: BirdInstance;
  dir: string;
  /** BIRD's own log file. */
  logFile: string;
  /** How many times BIRD logged "Reconfiguring" (one per configure that took a new config). */
  reconfigurations(): number;
}

/**
 * A route server on this machine: its own directory tree (main config, policy, members,
 * staging), a BIRD daemon with its own socket, and a config reaching it over the given sshd.
 */
export async function startRouteServerHost(options: {
  baseDir: string;
  id: string;
  ssh: { port: number; hostKeyFingerprint: string };
  asn?: number;
  /** Runs BIRD inside this network namespace (its control socket stays reachable by path). */
  netns?: string;
}): Promise<RouteServerHost> {
  const dir = join(options.baseDir, options.id);
  mkdirSync(join(dir, "ztix", "members"), { recursive: true });
  const config = routeServerFixture(
    {
      id: options.id,
      asn: options.asn ?? 64500,
      ssh: {
        host: "127.0.0.1",
        port: options.ssh.port,
        user: "root",
        host_key_fingerprint: options.ssh.hostKeyFingerprint,
        private_key: { secret: "rs-key" },
      },
    },
    dir,
  );
  // An empty policy so the very first main config parses; the first apply replaces it.
  writeFileSync(config.paths.policy_file, "# placeholder until the first apply\n");
  const logFile = join(dir, "bird.log");
  writeFileSync(config.paths.main_config, renderMainConfig(config, { logFile }));
  const bird = await startBird({
    config: config.paths.main_config,
    dir,
    name: "bird",
    ...(options.netns ? { netns: options.netns } : {}),
  });
  // The apply reaches BIRD through the configured socket path.
  return {
    config: { ...config, paths: { ...config.paths, control_socket: bird.socket } },
    bird,
    dir,
    logFile,
    reconfigurations: () =>
      existsSync(logFile)
        ? readFileSync(logFile, "utf8")
            .split("\n")
            .filter((l) => l.endsWith("Reconfiguring")).length
        : 0,
  };
}
