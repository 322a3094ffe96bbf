/* Types for `Resource` (from "sst") in this app. SST rewrites this file on deploy/dev/diff;
 * until a deploy has run it is kept by hand in step with infra/ (see docs/deploy.md). */
/* deno-fmt-ignore-file */
import "sst";
declare module "sst" {
  export interface Resource {
    Api: { name: string; type: "sst.aws.Function"; url: string };
    ApiOriginSecret: { type: "sst.sst.Secret"; value: string };
    BackupBucket: { name: string; type: "sst.aws.Bucket" };
    ControllerBackup: { name: string; type: "sst.aws.Function" };
    DlqHandler: { name: string; type: "sst.aws.Function" };
    OpsAlerts: { arn: string; type: "sst.aws.SnsTopic" };
    ProvisioningDlq: { type: "sst.aws.Queue"; url: string };
    ProvisioningQueue: { type: "sst.aws.Queue"; url: string };
    ReconcileSchedule: { name: string; type: "sst.aws.Function" };
    Router: { type: "sst.aws.Router"; url: string };
    Sweeper: { name: string; type: "sst.aws.Function" };
    Table: { name: string; type: "sst.aws.Dynamo" };
    Vpc: { type: "sst.aws.Vpc" };
    Web: { type: "sst.aws.StaticSite"; url: string };
    Worker: { name: string; type: "sst.aws.Function" };
    ZtixSecrets: { backend: "secretsmanager"; prefix: string; type: "sst.sst.Linkable" };
  }
}
export {};
