import { randomBytes } from "node:crypto";
import {
  type BirdRoute,
  birdcCommand,
  checkProtocolName,
  defaultLookingGlassLimits,
  LookingGlassError,
  type LookingGlassLimits,
  type LookingGlassRouteServer,
  type LookingGlassShell,
  type LookupTarget,
  parseLookupTarget,
  parseRoutes,
  parseShowStatus,
  ReplyCode,
  replyProblem,
  splitSections,
} from "@ztix/route-servers";

/** Single-quotes a word for the remote shell (what @ztix/ssh's shellQuote does). */
const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export interface MemberLookupReport {
  target: LookupTarget;
  observedAt: string;
  routes: BirdRoute[];
  truncated: boolean;
}

/**
 * A prefix lookup confined to one member: the routes its own sessions sent for the prefix
 * (accepted, and refused with their reasons) and the routes the route server exports to it
 * for the prefix (`show route <net> export <p>`, its export filter run now). Unlike
 * `LookingGlass.lookup`, which lists every session's routes in the tables, this never reads
 * another member's received routes beyond what that member's routes become on the way out to
 * this one. One remote command, built as `LookingGlass` builds its own: `show status` first
 * (its clock dates the routes), each output after a marker with a random nonce, the whole
 * piped through `head -c` at the byte cap, under the same time limit.
 */
export async function memberLookup(
  shell: LookingGlassShell,
  rs: LookingGlassRouteServer,
  input: string,
  protocols: readonly string[],
  limits: Partial<LookingGlassLimits> = {},
  clock: () => number = Date.now,
): Promise<MemberLookupReport> {
  const { timeLimitMs, maxRoutes, maxOutputBytes } = { ...defaultLookingGlassLimits, ...limits };
  const target = parseLookupTarget(input);
  const net = target.kind === "prefix" ? target.prefix : `for ${target.address}`;
  const suffix = target.family === 4 ? "_v4" : "_v6";
  const own = [...new Set(protocols.map(checkProtocolName))].filter((p) => p.endsWith(suffix));
  if (own.length > 2) {
    throw new LookingGlassError("looking_glass_invalid_input", "one member's sessions only", {}, 400);
  }
  const commands = own.flatMap((p) => [
    { command: `show route ${net} protocol ${p} filtered all`, filtered: true },
    { command: `show route ${net} protocol ${p} all`, filtered: false },
    { command: `show route ${net} export ${p} all`, filtered: false },
  ]);
  if (commands.length === 0) {
    return { target, observedAt: new Date(clock()).toISOString(), routes: [], truncated: false };
  }

  const marker = `ztix-lg-${randomBytes(12).toString("hex")}`;
  const steps = ["show status", ...commands.map((c) => c.command)].flatMap((command, i) => [
    `echo; echo ${marker} ${i}`,
    // Every word of `command` was written here from validated parts.
    `${birdcCommand(rs, q(command))} </dev/null`,
  ]);
  const script = `{ ${steps.join("; ")}; } 2>&1 | head -c ${maxOutputBytes + 1}`;
  const timeout = () =>
    new LookingGlassError(
      "looking_glass_timeout",
      `the route server did not answer within ${timeLimitMs} ms`,
      { timeLimitMs },
      504,
    );
  let timer: NodeJS.Timeout | undefined;
  let result: { code: number | null; stdout: string; stderr: string };
  try {
    const exec = shell.exec(`sh -c ${q(script)}`, {
      timeoutMs: timeLimitMs,
      maxOutputBytes: maxOutputBytes + 1 + 64 * 1024,
    });
    exec.catch(() => undefined);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeout()), timeLimitMs + 1_000);
    });
    result = await Promise.race([exec, deadline]);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ssh_exec_timeout") throw timeout();
    if (code === "ssh_output_too_large") {
      throw new LookingGlassError(
        "looking_glass_output_too_large",
        "the route server sent more than was asked for",
        {},
        502,
      );
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const observedAtMs = clock();
  const { sections } = splitSections(result.stdout, marker, commands.length + 1, maxOutputBytes);
  const head = sections[0];
  const headProblem = head ? replyProblem(head.reply) : undefined;
  if (!head || headProblem?.kind === "unreachable") {
    throw new LookingGlassError(
      "looking_glass_unavailable",
      `BIRD did not answer: ${headProblem?.message ?? ((result.stderr || result.stdout).trim().slice(0, 300) || `exit ${result.code}`)}`,
      {},
      503,
    );
  }
  const status = parseShowStatus(head.reply, observedAtMs);
  const routes: BirdRoute[] = [];
  let truncated = false;
  for (const [i, { filtered }] of commands.entries()) {
    const section = sections[i + 1];
    if (!section) {
      truncated = true;
      continue;
    }
    // Not found, an unknown protocol (not applied yet), no tables (session down): nothing there.
    if (replyProblem(section.reply)) continue;
    const remaining = maxRoutes - routes.length;
    if (remaining <= 0) {
      if (section.reply.lines.some((l) => l.code === ReplyCode.route)) truncated = true;
      continue;
    }
    const parsed = parseRoutes(section.reply, {
      filtered,
      ...(status.clock ? { clock: status.clock } : {}),
      rsAsn: rs.asn,
      maxRoutes: remaining,
      incomplete: !section.complete || section.reply.cut,
    });
    routes.push(...parsed.routes);
    if (parsed.truncated) truncated = true;
  }
  return { target, observedAt: new Date(observedAtMs).toISOString(), routes, truncated };
}
