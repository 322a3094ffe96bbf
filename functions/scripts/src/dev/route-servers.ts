import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import type { SecretStore } from "@ztix/aws";
import type { RouteServerConfig, RuntimeConfig } from "@ztix/core";
import {
  type BirdDaemon,
  type BirdInstallation,
  endProcesses,
  ensureSshdKeys,
  findBird,
  findExecutable,
  type ManagedProcess,
  processesMatching,
  SSHD,
  type SshdInstance,
  sshdPresent,
  startBirdDaemon,
  startSshd,
} from "@ztix/local-stack";
import { RouteServerConnections, renderMainConfig } from "@ztix/route-servers";
import type { LocalPlan } from "./local-files.ts";

/** What to run to get the route servers on a Debian or Ubuntu machine. */
export const INSTALL_HINT = "sudo apt-get install bird2 openssh-server";

/** BIRD 2 and an OpenSSH server, or why this machine cannot run the local route servers. */
export async function routeServerSupport(): Promise<
  { ok: true; bird: BirdInstallation } | { ok: false; reason: string }
> {
  const bird = await findBird();
  const sshd = sshdPresent();
  if (!bird.ok && !sshd) return { ok: false, reason: `${bird.reason}, and openssh-server is not installed` };
  if (!bird.ok) return { ok: false, reason: bird.reason };
  if (!sshd) return { ok: false, reason: `openssh-server is not installed (no ${SSHD} or ssh-keygen)` };
  return { ok: true, bird };
}

/** Paths BIRD strings and the route-server config accept (no spaces, quotes or globs). */
const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;

/**
 * For a first run: whether the runtime config can list two local route servers, and the keys
 * and binaries it pins. The sshd keys are made now (kept in `.ztix/sshd`), so the config pins
 * the host key before sshd ever runs.
 */
export async function planLocalRouteServers(
  dir: string,
  sshPort: number,
): Promise<{ plan: NonNullable<LocalPlan["routeServers"]> } | { skipped: string }> {
  const support = await routeServerSupport();
  if (!support.ok) return { skipped: support.reason };
  const baseDir = join(dir, "route-servers");
  if (!SAFE_PATH.test(baseDir)) {
    return {
      skipped: `${baseDir} has characters a BIRD config path cannot hold (use a path of [A-Za-z0-9._/-])`,
    };
  }
  const keys = await ensureSshdKeys(join(dir, "sshd"));
  return {
    plan: {
      baseDir,
      sshPort,
      sshUser: userInfo().username,
      hostKeyFingerprint: keys.hostKeyFingerprint,
      userPrivateKey: keys.userPrivateKey,
      bird: support.bird.bird,
      birdc: support.bird.birdc,
    },
  };
}

export interface LocalRouteServer {
  config: RouteServerConfig;
  daemon: BirdDaemon;
  /** The network namespace BIRD runs in (demo members), if any. */
  netns?: string;
}

export interface LocalRouteServers {
  sshd: SshdInstance;
  bird: BirdInstallation;
  servers: LocalRouteServer[];
  /** Every pid started (sshd, BIRDs): the launcher's last-resort kill on exit uses it. */
  pids(): number[];
  stop(): Promise<void>;
}

/**
 * The route servers `.ztix/dev.yaml` lists, checked against the runtime config: on this
 * machine, all behind one sshd, as the user running npm run dev, pinned to .ztix/sshd's key.
 */
export function localRouteServerConfigs(
  config: RuntimeConfig,
  ids: readonly string[],
  sshDir: string,
): RouteServerConfig[] {
  const where = "route_servers in .ztix/dev.yaml";
  const out = ids.map((id) => {
    const rs = config.route_servers.find((r) => r.id === id);
    if (!rs) throw new Error(`${where}: the runtime config has no route server ${id}`);
    if (!["127.0.0.1", "localhost"].includes(rs.ssh.host)) {
      throw new Error(`${where}: ${id} is reached at ${rs.ssh.host}, not on this machine (127.0.0.1)`);
    }
    const user = userInfo().username;
    if (rs.ssh.user !== user) {
      throw new Error(`${where}: ${id} logs in as ${rs.ssh.user}, but the local sshd runs as ${user}`);
    }
    return rs;
  });
  const ports = new Set(out.map((r) => r.ssh.port));
  if (ports.size > 1) {
    throw new Error(
      `${where}: the local route servers share one sshd; give them one ssh.port (${[...ports].join(", ")})`,
    );
  }
  if (out.length > 0 && !existsSync(join(sshDir, "host_key"))) {
    throw new Error(
      `${where}: ${join(sshDir, "host_key")} is missing, so the pinned host key cannot be served; delete the runtime config and .ztix/dev.yaml to have them written again`,
    );
  }
  return out;
}

/**
 * Starts the loopback sshd and one BIRD per route server (in its namespace when `netnsOf`
 * names one), then proves each is reachable the way the worker reaches it: over SSH, host key
 * pinned, running `birdc show status` on the configured socket. Everything started is stopped
 * again when a step fails.
 */
export async function startLocalRouteServers(options: {
  configs: RouteServerConfig[];
  bird: BirdInstallation;
  sshDir: string;
  secrets: SecretStore;
  netnsOf?: (id: string) => string | undefined;
  say: (msg: string) => void;
}): Promise<LocalRouteServers> {
  const { configs, bird } = options;
  const port = configs[0]!.ssh.port;
  const sshdConfig = join(options.sshDir, "sshd_config");
  const staleSshd = processesMatching([SSHD, "-f", sshdConfig]);
  if (staleSshd.length > 0) {
    options.say(`ending the sshd an earlier run left behind (pid ${staleSshd.join(", ")})`);
    await endProcesses(staleSshd);
  }
  const servers: LocalRouteServer[] = [];
  let sshd: SshdInstance | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.allSettled(servers.map((s) => s.daemon.stop()));
    await sshd?.stop();
  };
  /** A daemon that ends while we run is news: the worker cannot reach that route server any more. */
  const watch = (what: string, proc: ManagedProcess) =>
    proc.child.once("exit", (code, signal) => {
      if (stopping) return;
      const tail = proc.output().trim().split("\n").slice(-3).join(" | ");
      options.say(
        `${what} exited (${signal ?? `code ${code}`}): restart npm run dev${tail ? `; it said: ${tail}` : ""}`,
      );
    });
  try {
    sshd = await startSshd(options.sshDir, { port, keepKeys: true, daemon: true });
    watch("the route servers' sshd", sshd.process);
    for (const rs of configs) {
      if (!sameFingerprint(rs.ssh.host_key_fingerprint, sshd.hostKeyFingerprint)) {
        throw new Error(
          `route server ${rs.id} pins host key ${rs.ssh.host_key_fingerprint}, but ${options.sshDir}/host_key is ${sshd.hostKeyFingerprint}: put that in route_servers[].ssh.host_key_fingerprint (or delete the runtime config and .ztix/dev.yaml to have them written again)`,
        );
      }
      const dir = dirname(rs.paths.main_config);
      for (const d of [dir, rs.paths.members_dir, dirname(rs.paths.policy_file), rs.paths.staging_dir]) {
        mkdirSync(d, { recursive: true });
      }
      // The main config is a function of the runtime config; the policy and members are the
      // worker's (a placeholder policy until its first apply, so the first start parses).
      writeFileSync(rs.paths.main_config, renderMainConfig(rs, { logFile: join(dir, "bird.log") }));
      if (!existsSync(rs.paths.policy_file)) {
        writeFileSync(rs.paths.policy_file, "# placeholder until the first reconcile\n");
      }
      const netns = options.netnsOf?.(rs.id);
      const daemon = await startBirdDaemon({
        install: { ...bird, bird: rs.commands.bird.startsWith("/") ? rs.commands.bird : bird.bird },
        name: rs.id,
        config: rs.paths.main_config,
        socket: rs.paths.control_socket,
        pidFile: join(dir, "bird.pid"),
        ...(netns ? { netns } : {}),
        onStale: (pids) =>
          options.say(`ending the BIRD of ${rs.id} an earlier run left behind (pid ${pids.join(", ")})`),
      });
      servers.push({ config: rs, daemon, ...(netns ? { netns } : {}) });
      watch(`the BIRD of route server ${rs.id}`, daemon.process);
    }
    await proveReachable(configs, options.secrets);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    sshd: sshd!,
    bird,
    servers,
    pids: () => [sshd!.process.child.pid!, ...servers.map((s) => s.daemon.pid)],
    stop,
  };
}

const sameFingerprint = (a: string, b: string) => a.replace(/=+$/, "") === b.replace(/=+$/, "");

/** Each route server answers `birdc show status` over SSH with the pinned key, as the worker will use it. */
async function proveReachable(configs: RouteServerConfig[], secrets: SecretStore): Promise<void> {
  const connections = new RouteServerConnections(secrets);
  try {
    for (const rs of configs) {
      const birdc = rs.commands.birdc.startsWith("/")
        ? rs.commands.birdc
        : (findExecutable("birdc") ?? "birdc");
      const out = await connections
        .get(rs)
        .exec(`${birdc} -s ${rs.paths.control_socket} show status`, { timeoutMs: 15_000 });
      if (!/Daemon is up/.test(out.stdout)) {
        throw new Error(`route server ${rs.id} over SSH: birdc answered ${out.stdout}${out.stderr}`.trim());
      }
    }
  } finally {
    await connections.closeAll();
  }
}
