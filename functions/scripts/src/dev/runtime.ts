import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  type AwsEndpoints,
  dynamoClient,
  endpointsFromEnv,
  loadRuntimeConfig,
  publishDevEnvironment,
  resourceEnv,
  type SecretsBackend,
  s3Client,
  sqsClient,
} from "@ztix/aws";
import {
  createLogger,
  RECONCILE_SCHEDULE_MINUTES,
  type RouteServerConfig,
  type RuntimeConfig,
} from "@ztix/core";
import {
  bootstrapResources,
  defaultResourceNames,
  endProcesses,
  findExecutable,
  netnsUsable,
  processesMatching,
  SSHD,
  startDynamoDbLocal,
  startFauxqsServer,
} from "@ztix/local-stack";
import { runScheduledReconcile, sweepStuckRequests, workflowDepsFromEnvironment } from "@ztix/workflow";
import { createControllerProvider } from "@ztix/zerotier";
import { createApp } from "../../../api/src/app.ts";
import { depsFromEnvironment } from "../../../api/src/deps.ts";
import { type LocalServer, serveLocal } from "../../../api/src/server.ts";
import { startLocalWorker } from "../../../worker/src/local.ts";
import { preflightLocal, startLocalController } from "./controller.ts";
import { demoAccounts, prepareDemo, startStandIn, wantsStandIn } from "./demo.ts";
import { type DemoLan, lanTag, startDemoLan } from "./demo-lan.ts";
import { DEMO_MEMBERS, type DemoMembers, startDemoMembers } from "./demo-members.ts";
import {
  devSettingsPath,
  ensureLocalFiles,
  type LocalPlan,
  type LocalPorts,
  localConfigPath,
  portsFromEnv,
} from "./local-files.ts";
import { checkPorts, type PortClaim } from "./ports.ts";
import { devVerbose } from "./quiet.ts";
import {
  INSTALL_HINT,
  type LocalRouteServers,
  localRouteServerConfigs,
  planLocalRouteServers,
  routeServerSupport,
  startLocalRouteServers,
} from "./route-servers.ts";
import { loadDevSettings } from "./settings.ts";
import { irrStandInPort, peeringDbStandInPort, startDataStandIns } from "./stand-ins.ts";

export interface LocalRuntime {
  url: string;
  dir: string;
  configPath: string;
  config: RuntimeConfig;
  /** The IX networks on the controller (from preflight), e.g. `41060bf28b000001`. */
  networkIds: string[];
  /** What was started, what was skipped and how to sign in: printed at start. */
  summary: string;
  routeServers?: LocalRouteServers;
  demoLan?: DemoLan;
  demoMembers?: DemoMembers;
  /** The pids of the daemons it started (sshd, BIRDs), for checks that they are gone after stop. */
  pids(): number[];
  stop(): Promise<void>;
}

export interface LocalRuntimeOptions {
  /** The data directory (default `<root>/.ztix`). */
  dir?: string;
  /** Ports for a first run's config, and the API's; default from ZTIX_* variables. */
  ports?: LocalPorts;
  root?: string;
  /** Serve the built SPA (default true). */
  spa?: boolean;
  /** Progress lines (default: `[ztix] …` on stdout). */
  say?: (msg: string) => void;
  /**
   * Plays a machine without bird2/openssh-server (`routeServers`) or without usable network
   * namespaces (`netns`): the launcher behaves as if its probe had failed with that reason.
   */
  unavailable?: { routeServers?: string; netns?: string };
}

const defaultSay = (msg: string) => console.log(`[ztix] ${msg}`);

/** Builds the SPA once if there is no build yet (later builds: `npm run build:web`). */
function ensureSpaBuild(root: string, say: (m: string) => void): string | undefined {
  const buildDir = join(root, "web", "build");
  if (existsSync(join(buildDir, "index.html"))) return buildDir;
  if (!existsSync(join(root, "web", "svelte.config.js"))) return undefined;
  say("building the SPA (first run)…");
  const out = spawnSync("npm", ["run", "build", "-w", "@ztix/web"], { cwd: root, stdio: "inherit" });
  if (out.status !== 0) {
    say("the SPA build failed (npm run build -w @ztix/web): serving the API only");
    return undefined;
  }
  return buildDir;
}

/** Whether `pid` is a live Node process (a launcher that still holds its data directory). */
function launcherAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return /node|tsx/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return false;
  }
}

const isLocalHttp = (url: URL) =>
  url.protocol === "http:" && ["localhost", "127.0.0.1"].includes(url.hostname);

/** The API's port: ZTIX_PORT, else public_url's when it is a local http URL, else 8787. */
function apiPort(config: RuntimeConfig, fromOptions: number | undefined, env = process.env): number {
  if (fromOptions !== undefined) return fromOptions;
  if (env.ZTIX_PORT) return portsFromEnv(env).api;
  const url = new URL(config.public_url);
  return isLocalHttp(url) ? Number(url.port || 80) : 8787;
}

/**
 * Starts the local product. In `local` mode (default) it runs the embedded stack itself;
 * with ZTIX_MODE=localstack it uses LocalStack's endpoints and Secrets Manager instead.
 * Besides the product it runs what the configs ask for, and only that: the controller
 * emulator and the PeeringDB sign-in stand-in (runtime config), the PeeringDB API and IRR
 * whois stand-ins, local BIRD route servers and demo member routers (`.ztix/dev.yaml`).
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const startedAt = performance.now();
  const say = options.say ?? defaultSay;
  const root = resolve(options.root ?? ".");
  const dir = resolve(options.dir ?? join(root, ".ztix"));
  const show = (p: string) => {
    const rel = relative(process.cwd(), p);
    return rel && !rel.startsWith("..") ? rel : p;
  };
  const ports = { ...portsFromEnv(), ...options.ports };
  const started: string[] = [];
  const skipped: string[] = [];
  const notes: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const pidSources: (() => number[])[] = [];
  const namespaces: string[] = [];
  const pids = () => pidSources.flatMap((f) => f());
  // A last resort if the process ends without stop() (an uncaught error): the daemons it
  // started (by pid) and its namespaces go with it.
  const onExit = () => {
    for (const pid of pids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const ns of namespaces) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", onExit);
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      process.off("exit", onExit);
    })();
    return stopping;
  };

  try {
    // First run: find out what this machine can run before the config is written.
    const configPath = localConfigPath(dir);
    const plan: LocalPlan = {};
    let firstRunSkip: string | undefined;
    const unavailable = options.unavailable ?? {};
    const support = async () =>
      unavailable.routeServers
        ? ({ ok: false, reason: unavailable.routeServers } as const)
        : await routeServerSupport();
    if (!existsSync(configPath)) {
      const rs = unavailable.routeServers
        ? { skipped: unavailable.routeServers }
        : await planLocalRouteServers(dir, ports.ssh);
      if ("plan" in rs) plan.routeServers = rs.plan;
      else firstRunSkip = rs.skipped;
      const bgpq4 = findExecutable("bgpq4");
      if (bgpq4) plan.bgpq4 = bgpq4;
    }
    const files = ensureLocalFiles(dir, ports, plan);
    // One launcher per data directory: a second one would fight the first for its ports and
    // take its daemons for leftovers.
    const lockPath = join(dir, "launcher.pid");
    const holder = existsSync(lockPath) ? Number(readFileSync(lockPath, "utf8").trim()) : undefined;
    if (holder && holder !== process.pid && launcherAlive(holder)) {
      throw new Error(
        `another npm run dev (pid ${holder}) is running on ${show(dir)}: stop it first (Ctrl-C there)`,
      );
    }
    writeFileSync(lockPath, `${process.pid}\n`);
    stops.push(async () => rmSync(lockPath, { force: true }));
    process.env.ZTIX_RUNTIME_CONFIG = files.configPath;
    const config = loadRuntimeConfig(files.configPath);
    const { settings, found: settingsFound } = loadDevSettings(files.settingsPath);
    if (!settingsFound) {
      notes.push(
        `no ${show(devSettingsPath(dir))}: no PeeringDB API or IRR stand-in, no local route servers (delete ${show(files.configPath)} to have both files written again)`,
      );
    }
    const port = apiPort(config, options.ports?.api);
    const publicUrl = new URL(config.public_url);
    if (isLocalHttp(publicUrl) && Number(publicUrl.port || 80) !== port) {
      notes.push(
        `the API listens on ${port} but public_url is ${config.public_url}: sign-in needs them equal; edit public_url in ${show(files.configPath)}`,
      );
    }
    for (const [name, actual, inConfig] of [
      ["ZTIX_OIDC_PORT", ports.oidc, wantsStandIn(config)?.port],
      [
        "ZTIX_CONTROLLER_PORT",
        ports.controller,
        config.controller.transport.kind === "direct" && config.controller.emulator
          ? new URL(config.controller.transport.url).port
          : undefined,
      ],
    ] as const) {
      if (process.env[name] && inConfig !== undefined && Number(inConfig) !== actual) {
        notes.push(
          `${name}=${actual} applies to a first run only; ${show(files.configPath)} says port ${inConfig}`,
        );
      }
    }

    // Which local route servers and demo members can run here.
    const sshDir = join(dir, "sshd");
    let rsConfigs: RouteServerConfig[] = [];
    let bird: Awaited<ReturnType<typeof routeServerSupport>> | undefined;
    if (settings.route_servers.length > 0) {
      bird = await support();
      if (bird.ok) rsConfigs = localRouteServerConfigs(config, settings.route_servers, sshDir);
      else {
        skipped.push(
          `route servers ${settings.route_servers.join(", ")}: ${bird.reason}; requests wait for them. Install: ${INSTALL_HINT}`,
        );
      }
    } else if (config.route_servers.length === 0) {
      const found = firstRunSkip ? undefined : await support();
      skipped.push(
        found?.ok
          ? `route servers: none configured (delete ${show(files.configPath)} and ${show(files.settingsPath)} to have two local BIRD route servers written)`
          : `route servers: ${firstRunSkip ?? (found as { reason: string }).reason}. Install: ${INSTALL_HINT}, then delete ${show(files.configPath)} and ${show(files.settingsPath)} to have two local BIRD route servers written`,
      );
    }
    const remoteRs = config.route_servers
      .filter((r) => !settings.route_servers.includes(r.id))
      .map((r) => r.id);
    if (remoteRs.length > 0)
      started.push(`route servers ${remoteRs.join(", ")}: used as configured (not run here)`);
    let lanWanted = false;
    if (settings.demo_members) {
      if (rsConfigs.length === 0) skipped.push("demo member routers: no local route servers to peer with");
      else {
        const netns = unavailable.netns
          ? ({ ok: false, reason: unavailable.netns } as const)
          : await netnsUsable();
        if (netns.ok) lanWanted = true;
        else skipped.push(`demo member routers (they need root and ip netns): ${netns.reason}`);
      }
    }

    // Leftovers of an earlier run that was killed hold our ports and sockets: end them (by
    // the exact config files they run, which only this launcher writes).
    const leftovers = [
      ...(endpointsFromEnv().mode === "local" ? processesMatching(["-dbPath", join(dir, "dynamodb")]) : []),
      ...processesMatching([SSHD, "-f", join(sshDir, "sshd_config")]),
      ...rsConfigs.flatMap((rs) => processesMatching(["-c", rs.paths.main_config])),
      ...DEMO_MEMBERS.flatMap((m) =>
        processesMatching(["-c", join(dir, "demo-members", m.name, "bird.conf")]),
      ),
    ];
    if (leftovers.length > 0) {
      notes.push(
        `ended ${leftovers.length} daemon(s) an earlier run left behind (pid ${leftovers.join(", ")})`,
      );
      await endProcesses(leftovers);
    }

    // Every port it will listen on, before anything starts.
    const claims: PortClaim[] = [
      {
        port,
        what: "the API and SPA",
        change: `set ZTIX_PORT (and public_url in ${show(files.configPath)})`,
      },
    ];
    const inConfig = `in ${show(files.configPath)}`;
    if (config.controller.emulator && config.controller.transport.kind === "direct") {
      const url = new URL(config.controller.transport.url);
      claims.push({
        port: Number(url.port || 80),
        what: "the controller emulator",
        change: `edit controller.transport.url ${inConfig}`,
      });
    }
    const issuer = wantsStandIn(config);
    if (issuer) {
      claims.push({
        port: Number(issuer.port || 80),
        what: "the PeeringDB sign-in stand-in",
        change: `edit auth.peeringdb.issuer ${inConfig}`,
      });
    }
    if (settings.stand_ins.peeringdb) {
      claims.push({
        port: peeringDbStandInPort(config),
        what: "the PeeringDB API stand-in",
        change: `edit peeringdb_api.base_url ${inConfig}`,
      });
    }
    if (settings.stand_ins.irr) {
      claims.push({
        port: irrStandInPort(config),
        what: "the IRR whois stand-in",
        change: `edit irr_sources.port ${inConfig}`,
      });
    }
    if (rsConfigs.length > 0) {
      claims.push({
        port: rsConfigs[0]!.ssh.port,
        what: "the route servers' sshd",
        change: `edit route_servers[].ssh.port ${inConfig}`,
      });
    }
    await checkPorts(claims);

    const baseEndpoints = endpointsFromEnv();
    let endpoints: AwsEndpoints = baseEndpoints;
    if (baseEndpoints.mode === "local") {
      say("starting DynamoDB Local and fauxqs…");
      const [dynamo, fauxqs] = await Promise.all([
        startDynamoDbLocal({ dataDir: join(dir, "dynamodb") }),
        startFauxqsServer(),
      ]);
      stops.push(dynamo.stop, fauxqs.stop);
      pidSources.push(() => [dynamo.pid]);
      started.push(
        `DynamoDB Local (data in ${show(join(dir, "dynamodb"))}), fauxqs (SQS FIFO queue + DLQ, S3)`,
      );
      endpoints = { ...baseEndpoints, dynamodb: dynamo.endpoint, sqs: fauxqs.endpoint, s3: fauxqs.endpoint };
      process.env.ZTIX_MODE = "local";
      process.env.ZTIX_DYNAMODB_ENDPOINT = dynamo.endpoint;
      process.env.ZTIX_SQS_ENDPOINT = fauxqs.endpoint;
      process.env.ZTIX_S3_ENDPOINT = fauxqs.endpoint;
    } else started.push(`LocalStack at ${endpoints.dynamodb ?? "its endpoint"}`);
    const created = await bootstrapResources(
      { dynamo: dynamoClient(endpoints), sqs: sqsClient(endpoints), s3: s3Client(endpoints) },
      defaultResourceNames,
    );
    const secretsBackend: SecretsBackend =
      endpoints.mode === "localstack"
        ? { backend: "secretsmanager", prefix: "ztix/local/" }
        : { backend: "file", path: files.secretsPath };
    const linkedEnv = resourceEnv({
      tableName: created.tableName,
      queueUrl: created.queueUrl,
      dlqUrl: created.dlqUrl,
      bucketName: created.bucketName,
      secrets: secretsBackend,
      stage: "local",
    });
    Object.assign(process.env, linkedEnv);
    // `npm run users|controller|route-servers|sweeper` in another terminal find this running stack through it.
    const devEnvPath = join(dir, "dev-env.json");
    const published = publishDevEnvironment(
      {
        ...linkedEnv,
        ZTIX_MODE: endpoints.mode,
        ...(endpoints.dynamodb ? { ZTIX_DYNAMODB_ENDPOINT: endpoints.dynamodb } : {}),
        ...(endpoints.sqs ? { ZTIX_SQS_ENDPOINT: endpoints.sqs } : {}),
        ...(endpoints.s3 ? { ZTIX_S3_ENDPOINT: endpoints.s3 } : {}),
        ...(endpoints.secretsmanager ? { ZTIX_SECRETSMANAGER_ENDPOINT: endpoints.secretsmanager } : {}),
        ZTIX_RUNTIME_CONFIG: resolve(files.configPath),
      },
      devEnvPath,
    );
    stops.push(async () => published());

    const deps = depsFromEnvironment({ config });
    deps.log = createLogger({
      base: { service: "api", stage: "local" },
      level: (process.env.LOG_LEVEL as "info") ?? "warn",
    });
    const emulator = await startLocalController(
      config,
      dir,
      await deps.secrets.get(config.controller.token.secret),
    );
    if (emulator) {
      stops.push(emulator.stop);
      started.push(
        `controller emulator ${emulator.address} at ${emulator.url} (state in ${show(emulator.homeDir)})`,
      );
    } else {
      started.push(
        `controller: ${config.controller.provider === "central" ? "ZeroTier Central" : config.controller.transport.kind === "direct" ? config.controller.transport.url : `over SSH to ${config.controller.transport.ssh.host}`}, as configured (controller.emulator is off)`,
      );
    }
    const preflight = await preflightLocal(config, deps.data, deps.secrets);
    const networkIds = preflight.networks.map((n) => n.networkId);
    if (preflight.ok) {
      started.push(
        `controller gate open: ${preflight.networks.map((n) => `${n.networkId} ${n.action}`).join(", ")}`,
      );
    } else {
      skipped.push(
        `controller gate CLOSED (${preflight.error?.code}): ${preflight.error?.message}; jobs wait until \`npm run controller -- preflight\` passes`,
      );
    }

    const standIn = await startStandIn(
      config,
      dir,
      await deps.secrets.get(config.auth.peeringdb.client_secret.secret),
    );
    if (standIn) {
      stops.push(standIn.stop);
      started.push(`PeeringDB sign-in stand-in (an OpenID provider) at ${standIn.issuer}`);
    }
    const apiKey = config.peeringdb_api.api_key;
    const dataStandIns = await startDataStandIns(config, settings, () =>
      apiKey ? deps.secrets.get(apiKey.secret) : Promise.resolve(""),
    );
    stops.push(dataStandIns.stop);
    if (dataStandIns.peeringdb) {
      started.push(`PeeringDB API stand-in at ${dataStandIns.peeringdb.url} (demo net records)`);
    }
    if (dataStandIns.whois) {
      const bgpq4 = findExecutable(config.irr_sources.bgpq4_path) ?? findExecutable("bgpq4");
      started.push(
        `IRR whois stand-in at ${dataStandIns.whois.address}${bgpq4 ? ` (bgpq4 builds the members' prefix lists, IRR mode ${config.route_server_policy.irr.mode})` : ""}`,
      );
      if (!bgpq4) skipped.push("IRR prefix lists: bgpq4 is not installed (sudo apt-get install bgpq4)");
    }

    // The route servers, on the demo LAN when members can join them.
    let demoLan: DemoLan | undefined;
    let routeServers: LocalRouteServers | undefined;
    let demoMembers: DemoMembers | undefined;
    if (rsConfigs.length > 0 && bird?.ok) {
      try {
        if (lanWanted) {
          const network = config.networks[0]!;
          demoLan = await startDemoLan({
            tag: lanTag(dir),
            routeServers: rsConfigs.map((rs) => ({
              id: rs.id,
              ipv4: rs.peering_ipv4?.[0] ?? rs.router_id,
              ...(rs.peering_ipv6?.[0] ? { ipv6: rs.peering_ipv6[0] } : {}),
            })),
            ipv4Length: Number(network.ipv4.prefix.split("/")[1]),
            ipv6Length: Number(network.ipv6?.prefix.split("/")[1] ?? 64),
          });
          namespaces.push(...demoLan.namespaces);
          stops.push(demoLan.stop);
        }
        const lan = demoLan;
        routeServers = await startLocalRouteServers({
          configs: rsConfigs,
          bird: bird.bird,
          sshDir,
          secrets: deps.secrets,
          ...(lan ? { netnsOf: (id: string) => lan.nsOf(id) } : {}),
          say,
        });
        const rsRunning = routeServers;
        stops.push(rsRunning.stop);
        pidSources.push(rsRunning.pids);
        const first = rsConfigs[0]!;
        started.push(
          `route servers ${rsConfigs.map((r) => r.id).join(", ")}: BIRD ${bird.bird.version} each, reached over SSH ${first.ssh.user}@127.0.0.1:${first.ssh.port} (host key ${routeServers.sshd.hostKeyFingerprint} pinned); files under ${show(join(dir, "route-servers"))}`,
        );
      } catch (e) {
        await routeServers?.stop();
        await demoLan?.stop();
        routeServers = undefined;
        demoLan = undefined;
        skipped.push(`route servers ${rsConfigs.map((r) => r.id).join(", ")}: ${(e as Error).message}`);
      }
    }
    if (demoLan && routeServers) {
      const networkId = networkIds[0];
      if (!networkId) {
        skipped.push("demo member routers: the controller gate is closed, so no network to join");
      } else {
        started.push(
          `demo LAN ${config.networks[0]!.ipv4.prefix}${config.networks[0]!.ipv6 ? ` + ${config.networks[0]!.ipv6.prefix}` : ""} in network namespaces ${demoLan.namespaces.join(", ")}`,
        );
        const provider = createControllerProvider(config.controller, deps.secrets);
        const rsPeers = rsConfigs.map((rs) => ({
          id: rs.id,
          asn: rs.asn,
          ipv4: rs.peering_ipv4?.[0] ?? rs.router_id,
          ...(rs.peering_ipv6?.[0] ? { ipv6: rs.peering_ipv6[0] } : {}),
        }));
        const members = startDemoMembers({
          lan: demoLan,
          provider,
          networkId,
          bird: routeServers.bird,
          dir: join(dir, "demo-members"),
          peers: rsPeers,
          say,
        });
        demoMembers = members;
        // Registered after the route servers: stopped before them, and before the LAN goes.
        stops.push(async () => {
          await members.stop();
          await provider.close();
        });
        pidSources.push(members.pids);
        started.push(
          [
            "demo member routers, each up once the controller authorizes its node (request to join with that node id):",
            ...DEMO_MEMBERS.map(
              (m) =>
                `  node ${m.nodeId} as AS${m.asn} (${m.requester}) announces ${m.announce.map((a) => a.prefix).join(", ")}`,
            ),
          ].join("\n    "),
        );
      }
    }

    const signInText = await prepareDemo(
      { data: deps.data, config, actor: "dev-launcher" },
      demoAccounts(files.secrets),
      standIn,
    );

    const worker = startLocalWorker({ config });
    stops.push(worker.stop);
    // The scheduled sweeper of AWS, every minute here: a lost enqueue never strands a request.
    const sweeperDeps = workflowDepsFromEnvironment({ config, service: "sweeper" });
    sweeperDeps.log = deps.log;
    const sweep = setInterval(() => void sweepStuckRequests(sweeperDeps).catch(() => undefined), 60_000);
    stops.push(async () => clearInterval(sweep));
    // The scheduled reconcile of AWS: at start, then every RECONCILE_SCHEDULE_MINUTES.
    const reconcileAll = () =>
      void runScheduledReconcile(sweeperDeps).catch((e: unknown) =>
        sweeperDeps.log.warn("scheduled reconcile failed", { err: e }),
      );
    if (config.route_servers.length > 0) reconcileAll();
    const reconcileTimer = setInterval(reconcileAll, RECONCILE_SCHEDULE_MINUTES * 60_000);
    stops.push(async () => clearInterval(reconcileTimer));
    started.push(
      `worker on the local queue; sweeper every minute; route-server reconcile at start and every ${RECONCILE_SCHEDULE_MINUTES} minutes`,
    );

    const staticDir = options.spa === false ? undefined : ensureSpaBuild(root, say);
    const server: LocalServer = await serveLocal({ app: createApp(deps), port, staticDir });
    stops.push(server.close);
    if (!staticDir && options.spa !== false) skipped.push("the SPA is not built: npm run build:web");

    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    const list = (items: string[]) => items.map((i) => `    ${i}`).join("\n");
    const summary = [
      `ready in ${seconds}s: ${server.url} (API ${server.url}/api/v1, health ${server.url}/api/v1/health)`,
      ...(signInText ? [`  sign in at ${server.url}/login with:`, signInText.replace(/^/gm, "  ")] : []),
      "  started:",
      list(started),
      ...(skipped.length > 0 ? ["  skipped:", list(skipped)] : []),
      ...(notes.length > 0 ? ["  notes:", list(notes)] : []),
      `  config: ${show(files.configPath)} and ${show(files.settingsPath)}, read at start (restart after a change); secrets in ${show(files.secretsPath)}`,
      `  second terminal: npm run route-servers -- status | npm run users -- list | npm run controller -- preflight (they find this stack through ${show(devEnvPath)})`,
      `  log: ${devVerbose() ? "everything (ZTIX_DEV_VERBOSE=1)" : "warnings, each once; ZTIX_DEV_VERBOSE=1 shows info logs, metrics and repeats"}`,
      "  Ctrl-C stops everything it started.",
    ].join("\n");
    say(summary);
    return {
      url: server.url,
      dir,
      configPath: files.configPath,
      config,
      networkIds,
      summary,
      ...(routeServers ? { routeServers } : {}),
      ...(demoLan ? { demoLan } : {}),
      ...(demoMembers ? { demoMembers } : {}),
      pids,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
