import type { SecretStore } from "@ztix/aws";
import { writeAudit } from "@ztix/data";
import { type LifecycleDeps, type PreflightReport, runPreflight } from "./preflight.ts";

/**
 * After the controller token was rotated in the secrets store: forget the cached value,
 * read it again and rerun preflight. The gate opens only if the new token works.
 */
export async function reloadToken(deps: LifecycleDeps & { secrets: SecretStore }): Promise<PreflightReport> {
  const name =
    deps.config.controller.provider === "central"
      ? deps.config.controller.central.token.secret
      : deps.config.controller.token.secret;
  deps.secrets.invalidate(name);
  deps.onProgress?.(`re-reading secret ${name}`);
  const report = await runPreflight(deps);
  await writeAudit(deps.data, {
    subject: "controller",
    action: report.ok ? "controller.token_reloaded" : "controller.token_reload_failed",
    actorType: deps.actor?.actorType ?? "admin",
    actorId: deps.actor?.actorId,
    message: report.ok
      ? "controller token reloaded; preflight passed"
      : `token reload failed: ${report.error?.code}`,
    metadata: report.error ? { code: report.error.code } : undefined,
  });
  return report;
}
