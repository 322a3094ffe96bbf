/**
 * `npm run sweeper`: runs the stuck-request sweeper once, by hand, against the linked
 * resources (locally via the dev launcher's SST_RESOURCE_* env, in AWS under
 * `npx sst shell --stage X -- npm run sweeper`). Prints the report as JSON; exit 1 when a
 * re-send failed.
 */
import { adoptDevEnvironment } from "@ztix/aws";
import { sweepStuckRequests, workflowDepsFromEnvironment } from "@ztix/workflow";

async function main() {
  adoptDevEnvironment();
  const deps = workflowDepsFromEnvironment({ service: "sweeper-cli" });
  const report = await sweepStuckRequests(deps);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.failed.length ? 1 : 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`sweeper failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
