import { portFree } from "@ztix/local-stack";

export interface PortClaim {
  port: number;
  /** What listens there, e.g. "the API and SPA". */
  what: string;
  /** How to move it, e.g. "set ZTIX_PORT" or "edit controller.transport.url in .ztix/runtime-config.yaml". */
  change: string;
}

/**
 * Checks every port the launcher is about to listen on before it starts anything: a port
 * claimed twice or already taken stops the start with one message per port, naming what
 * wanted it and how to move it.
 */
export async function checkPorts(claims: PortClaim[]): Promise<void> {
  const problems: string[] = [];
  const byPort = new Map<number, PortClaim>();
  for (const claim of claims) {
    const other = byPort.get(claim.port);
    if (other) {
      problems.push(`port ${claim.port} is wanted by both ${other.what} and ${claim.what}: ${claim.change}`);
      continue;
    }
    byPort.set(claim.port, claim);
  }
  const taken = await Promise.all(
    [...byPort.values()].map(async (c) => ((await portFree(c.port)) ? null : c)),
  );
  for (const c of taken) {
    if (c)
      problems.push(`port ${c.port} (${c.what}) is already in use: stop what listens there, or ${c.change}`);
  }
  if (problems.length > 0) throw new Error(problems.join("\n  "));
}
