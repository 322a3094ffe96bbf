import { type RouteServerConfig, routeServerSchema } from "@ztix/core";
import { lines } from "./format.ts";

/**
 * A minimal BIRD main config for labs and tests. Production route servers keep their own
 * main config; it only has to carry the same two include lines (`includeLines`).
 */
export function renderMainConfig(routeServer: RouteServerConfig, options: { logFile?: string } = {}): string {
  const rs = routeServerSchema.parse(routeServer);
  if (options.logFile !== undefined && !/^\/[A-Za-z0-9._/-]+$/.test(options.logFile)) {
    throw new Error(`unsafe log file path: ${options.logFile}`);
  }
  const log = options.logFile ? `log "${options.logFile}" all;` : "log stderr all;";
  return lines([
    `# BIRD main config of route server ${rs.id} (lab). Generated.`,
    log,
    `router id ${rs.router_id};`,
    "",
    "protocol device {",
    "  scan time 10;",
    "}",
    "",
    ...includeLines(rs),
  ]);
}

/** The include lines the main config must contain verbatim (the apply step rewrites them to check candidates). */
export function includeLines(rs: Pick<RouteServerConfig, "paths">): [string, string] {
  return [`include "${rs.paths.policy_file}";`, `include "${rs.paths.members_dir}/*.conf";`];
}
