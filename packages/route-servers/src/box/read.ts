import { randomBytes } from "node:crypto";
import type { RouteServerConfig } from "@ztix/core";
import { shellQuote as q } from "@ztix/ssh";
import { DIGEST_SYMBOL } from "../names.ts";
import { isMemberProtocol } from "../plan.ts";
import { includeLines } from "../render/main.ts";
import { BirdCode, birdcCommand, birdError, parseBirdOutput, protocolNames } from "./birdc.ts";
import type { BoxState } from "./state.ts";

/** File names the apply's shell scripts may use unquoted-safe (they are quoted anyway). */
export const safeFileName = /^[A-Za-z0-9][A-Za-z0-9._-]*\.conf$/;

/**
 * One remote command that reads everything a reconcile compares: the hash of every `*.conf`
 * in the members directory and of the policy file, whether the main config has the include
 * lines, the digest BIRD runs and its member protocols. Sections are fenced by a marker
 * nobody else can write.
 */
export function readBoxCommand(rs: RouteServerConfig, marker = randomBytes(8).toString("hex")) {
  const { paths } = rs;
  const fence = (name: string) => `echo ${q(`@@${marker} ${name}`)}`;
  const [policyLine, membersLine] = includeLines(rs);
  const command = [
    fence("members"),
    `if [ -d ${q(paths.members_dir)} ]; then (cd ${q(paths.members_dir)} && find . -maxdepth 1 -type f -name '*.conf' -exec sha256sum {} +); fi`,
    fence("policy"),
    `if [ -f ${q(paths.policy_file)} ]; then sha256sum < ${q(paths.policy_file)}; fi`,
    fence("main"),
    `if [ -f ${q(paths.main_config)} ]; then grep -cF ${q(policyLine)} ${q(paths.main_config)}; grep -cF ${q(membersLine)} ${q(paths.main_config)}; else echo missing; fi`,
    fence("bird"),
    `${birdcCommand(rs, `eval ${DIGEST_SYMBOL}`)} 2>&1`,
    fence("protocols"),
    `${birdcCommand(rs, "show protocols")} 2>&1`,
    fence("end"),
  ].join("; ");
  return { command, marker };
}

/** Parses what `readBoxCommand` printed. */
export function parseBoxState(rs: RouteServerConfig, out: string, marker: string): BoxState {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    const fence = line.startsWith(`@@${marker} `) ? line.slice(marker.length + 3) : undefined;
    if (fence !== undefined) {
      current = [];
      sections.set(fence, current);
    } else current?.push(line);
  }
  if (!sections.has("end")) throw new Error("the route server's state could not be read completely");

  const files = new Map<string, string>();
  const unsafeNames: string[] = [];
  for (const line of sections.get("members") ?? []) {
    // sha256sum prints `<hex>  ./<name>`, or `\<hex>  ./<escaped name>` for odd names.
    const m = /^(\\?)([0-9a-f]{64}) {2}\.\/(.*)$/.exec(line);
    if (!m) continue;
    const name = m[3]!;
    // BIRD's `*.conf` include skips dot files, and so do we (our own `.…ztix-new` among them).
    if (name.startsWith(".")) continue;
    if (m[1] || !safeFileName.test(name)) unsafeNames.push(name);
    else files.set(name, m[2]!);
  }
  const policy = (sections.get("policy") ?? []).join("\n").match(/^([0-9a-f]{64})/m);

  const main = (sections.get("main") ?? []).filter(Boolean);
  const [policyLine, membersLine] = includeLines(rs);
  const missingIncludes =
    main[0] === "missing"
      ? null
      : [
          ...(Number(main[0] ?? 0) > 0 ? [] : [policyLine]),
          ...(Number(main[1] ?? 0) > 0 ? [] : [membersLine]),
        ];

  const birdOut = (sections.get("bird") ?? []).join("\n");
  const replies = parseBirdOutput(birdOut);
  const evaluated = replies.find((l) => l.code === BirdCode.evalResult);
  const state: BoxState = {
    files,
    unsafeNames,
    ...(policy ? { policyHash: policy[1] } : {}),
    missingIncludes,
    runningDigest: evaluated ? evaluated.text.trim() : null,
    runningProtocols: new Set(
      [...protocolNames(parseBirdOutput((sections.get("protocols") ?? []).join("\n")))].filter(
        isMemberProtocol,
      ),
    ),
  };
  // No reply code at all: birdc never reached the daemon (socket missing, daemon down).
  if (!evaluated && !birdError(replies)) state.birdUnreachable = birdOut.trim() || "birdc gave no answer";
  return state;
}
