import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { networkConfigSchema, routeServerPolicySchema, routeServerSchema } from "@ztix/core";
import {
  DIGEST_FILE_NAME,
  digestFileText,
  type RouteServerMember,
  renderMainConfig,
  renderMember,
  renderPolicy,
  sha256Hex,
  treeDigest,
} from "@ztix/route-servers";
import { percentile } from "./_stats.ts";

const exec = promisify(execFile);
const MEMBERS = 2_000;
/** IRR prefixes per member and family in the IRR parse figure. */
const IRR_PREFIXES = 50;
const PARSE_RUNS = 5;

/** `count` distinct members with public 32-bit ASNs and addresses that lead nowhere. */
function members(count: number): RouteServerMember[] {
  return Array.from({ length: count }, (_, i) => ({
    requestId: `bench-${i}`,
    asn: 200_000 + i,
    nodeId: (0x1000000000 + i).toString(16),
    network: "000001",
    ipv4: `100.64.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    ipv6: `2001:db8:ffff::${(i + 2).toString(16)}`,
    maxPrefix: { ipv4: 10 + (i % 50) },
  }));
}

/**
 * Member `i`'s IRR lists: `IRR_PREFIXES` distinct canonical prefixes per family, none shared
 * with another member (public space: 44.0.0.0/24 up, 2a00:1:1::/48 up).
 */
function irrLists(i: number): { ipv4: string[]; ipv6: string[] } {
  const ns = Array.from({ length: IRR_PREFIXES }, (_, j) => i * IRR_PREFIXES + j);
  return {
    ipv4: ns.map((n) => `${44 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.0/24`),
    ipv6: ns.map((n) => `2a00:${((n >> 15) + 1).toString(16)}:${((n & 0x7fff) + 1).toString(16)}::/48`),
  };
}

/** A route server whose files live under `root`. */
function routeServerAt(root: string) {
  return routeServerSchema.parse({
    id: "bench",
    asn: 64500,
    router_id: "192.0.2.1",
    peering_ipv4: "192.0.2.1",
    peering_ipv6: "2001:db8::1",
    ssh: {
      host: "127.0.0.1",
      user: "bench",
      host_key_fingerprint: `SHA256:${"A".repeat(43)}`,
      private_key: { secret: "x" },
    },
    paths: {
      main_config: join(root, "bird.conf"),
      policy_file: join(root, "ztix/policy.conf"),
      members_dir: join(root, "ztix/members"),
      staging_dir: join(root, "staging"),
      control_socket: join(root, "bird.ctl"),
    },
    rpki: { rtr_caches: [{ host: "127.0.0.1", port: 3323 }] },
  });
}

/**
 * CPU time (user + system, ms) of this process's children that have exited and been reaped:
 * fields 16 and 17 of /proc/self/stat, in clock ticks (100 per second on Linux). Unlike wall
 * time it does not grow when other work shares the machine. Null off Linux.
 */
function childCpuMs(): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): cutime and cstime are fields 16 and 17.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

/**
 * The medians of `runs` timed `bird -p` parses of each main config: wall time and CPU time, in
 * ms. The configs take turns, so a machine busy with something else slows each of them alike.
 */
async function medianParseMs(
  configs: readonly string[],
  runs: number,
): Promise<Array<{ wall: number; cpu: number | null }>> {
  const wall: number[][] = configs.map(() => []);
  const cpu: number[][] = configs.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, config] of configs.entries()) {
      const cpuBefore = childCpuMs();
      const t = process.hrtime.bigint();
      await exec("bird", ["-p", "-c", config], { timeout: 300_000 });
      wall[k]!.push(ms(t));
      const cpuAfter = childCpuMs();
      if (cpuBefore !== null && cpuAfter !== null) cpu[k]!.push(cpuAfter - cpuBefore);
    }
  }
  const median = (list: number[]) =>
    percentile(
      list.sort((a, b) => a - b),
      50,
    );
  return configs.map((_, k) => ({
    wall: median(wall[k]!),
    cpu: cpu[k]!.length === runs ? median(cpu[k]!) : null,
  }));
}

function ms(start: bigint): number {
  return Number((process.hrtime.bigint() - start) / 1000n) / 1000;
}

function hasBird(): boolean {
  return spawnSync("sh", ["-c", "command -v bird && command -v birdc"], { stdio: "ignore" }).status === 0;
}

async function birdc(socket: string, command: string): Promise<string> {
  const { stdout } = await exec("birdc", ["-s", socket, command], { timeout: 120_000 });
  return stdout;
}

/** Waits until a process we signalled has gone (signal 0 probes without touching it). */
async function exited(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Route-server figures: render cost, bytes an added member touches, and what BIRD itself
 * takes to parse and reconfigure a 2,000-member route server (skipped without BIRD). The
 * whole reconciler at that scale, over SSH with sessions up, is `rs-scale`.
 */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-bench-rs-"));
  const rs = routeServerAt(dir);
  const policy = routeServerPolicySchema.parse({});
  const lan = networkConfigSchema.parse({
    suffix: "000001",
    name: "bench",
    ipv4: { prefix: "100.64.0.0/10", pool_start: "100.64.0.2", pool_end: "100.127.255.250" },
    ipv6: { prefix: "2001:db8:ffff::/64" },
  });
  const all = members(MEMBERS + 1);
  const added = all[MEMBERS]!;
  const figures: Record<string, unknown> = { members: MEMBERS };
  try {
    // Render: one member (mean of many), then a whole route server.
    const reps = 2_000;
    let t = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) renderMember(all[i % MEMBERS]!, policy);
    figures.render_one_member_us = Math.round((ms(t) * 1000) / reps);
    t = process.hrtime.bigint();
    const policyText = renderPolicy(rs, policy, [lan]);
    const files = all.slice(0, MEMBERS).map((m) => renderMember(m, policy));
    figures.render_route_server_ms = ms(t);

    mkdirSync(rs.paths.members_dir, { recursive: true });
    const mainText = renderMainConfig(rs, { logFile: join(dir, "bird.log") });
    writeFileSync(rs.paths.main_config, mainText);
    writeFileSync(rs.paths.policy_file, policyText);
    for (const f of files) writeFileSync(join(rs.paths.members_dir, f.fileName), f.text);
    const totalBytes =
      Buffer.byteLength(policyText) +
      files.reduce((n, f) => n + Buffer.byteLength(f.text), 0) +
      mainText.length;
    const addedFile = renderMember(added, policy);
    // What an apply of one new member writes: its file and the tree's new digest file.
    const hashes = new Map(files.map((f) => [f.fileName, sha256Hex(f.text)]));
    hashes.set(addedFile.fileName, sha256Hex(addedFile.text));
    const digestText = digestFileText(treeDigest(sha256Hex(policyText), hashes));
    writeFileSync(join(rs.paths.members_dir, DIGEST_FILE_NAME), digestText);
    figures.add_member_live_files_changed = 2;
    figures.add_member_live_bytes_written = Buffer.byteLength(addedFile.text) + Buffer.byteLength(digestText);
    figures.route_server_config_bytes = totalBytes;

    if (!hasBird()) {
      figures.bird = "skipped: bird/birdc not installed";
      return figures;
    }
    t = process.hrtime.bigint();
    await exec("bird", ["-p", "-c", rs.paths.main_config], { timeout: 120_000 });
    figures.bird_parse_ms = ms(t);

    // The same route server with IRR filtering on (strict) and every member carrying an IRR
    // prefix set of IRR_PREFIXES prefixes per family.
    const irrRoot = join(dir, "irr");
    const irrRs = routeServerAt(irrRoot);
    const strict = routeServerPolicySchema.parse({ irr: { mode: "strict" } });
    mkdirSync(irrRs.paths.members_dir, { recursive: true });
    writeFileSync(irrRs.paths.main_config, renderMainConfig(irrRs, { logFile: join(irrRoot, "bird.log") }));
    const irrPolicy = renderPolicy(irrRs, strict, [lan]);
    writeFileSync(irrRs.paths.policy_file, irrPolicy);
    let irrBytes = Buffer.byteLength(irrPolicy);
    t = process.hrtime.bigint();
    const irrFiles = all
      .slice(0, MEMBERS)
      .map((m, i) => renderMember({ ...m, irr: { asSet: `AS-BENCH-${i}`, ...irrLists(i) } }, strict));
    const irrRenderMs = ms(t);
    for (const f of irrFiles) {
      writeFileSync(join(irrRs.paths.members_dir, f.fileName), f.text);
      irrBytes += Buffer.byteLength(f.text);
    }
    const [withIrr, withoutIrr] = await medianParseMs(
      [irrRs.paths.main_config, rs.paths.main_config],
      PARSE_RUNS,
    );
    figures.irr = {
      prefixes_per_member_and_family: IRR_PREFIXES,
      render_route_server_ms: irrRenderMs,
      route_server_config_bytes: irrBytes,
      [`bird_parse_ms_median_of_${PARSE_RUNS}`]: withIrr!.wall,
      [`bird_parse_cpu_ms_median_of_${PARSE_RUNS}`]: withIrr!.cpu ?? "n/a",
      [`same_members_without_irr_bird_parse_ms_median_of_${PARSE_RUNS}`]: withoutIrr!.wall,
      [`same_members_without_irr_bird_parse_cpu_ms_median_of_${PARSE_RUNS}`]: withoutIrr!.cpu ?? "n/a",
    };

    const pidFile = join(dir, "bird.pid");
    await exec("bird", ["-c", rs.paths.main_config, "-s", rs.paths.control_socket, "-P", pidFile], {
      timeout: 120_000,
    });
    try {
      const deadline = Date.now() + 60_000;
      while (!/Daemon is up/.test(await birdc(rs.paths.control_socket, "show status").catch(() => ""))) {
        if (Date.now() > deadline) throw new Error("bird did not come up");
        await new Promise((r) => setTimeout(r, 100));
      }
      writeFileSync(join(rs.paths.members_dir, addedFile.fileName), addedFile.text);
      t = process.hrtime.bigint();
      await birdc(rs.paths.control_socket, "configure check");
      figures.birdc_configure_check_ms = ms(t);
      t = process.hrtime.bigint();
      const out = await birdc(rs.paths.control_socket, "configure");
      figures.birdc_configure_ms = ms(t);
      figures.birdc_configure_reply = out.trim().split("\n").pop();
    } finally {
      // Ends exactly the daemon this bench started.
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (pid > 0) {
        process.kill(pid, "SIGTERM");
        await exited(pid, 10_000);
      }
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}
