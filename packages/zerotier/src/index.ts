export * from "./backup/backup.ts";
export * from "./backup/member-check.ts";
export * from "./backup/member-repair.ts";
export * from "./backup/restore.ts";
export * from "./central.ts";
export * from "./compare.ts";
export * from "./errors.ts";
export * from "./factory.ts";
export * from "./host/index.ts";
export * from "./http.ts";
export * from "./lifecycle/gate.ts";
export * from "./lifecycle/gate-check.ts";
// Not `preflight` itself: its restore_validate mode may reopen a gate a restore holds.
export {
  type LifecycleDeps,
  type NetworkOutcome,
  type PreflightReport,
  runPreflight,
} from "./lifecycle/preflight.ts";
export { SENTINEL_NAME_PREFIX } from "./lifecycle/sentinel.ts";
export * from "./lifecycle/token.ts";
export * from "./network-settings.ts";
export * from "./self-hosted.ts";
export * from "./types.ts";
