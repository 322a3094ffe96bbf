import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseRuntimeConfig, type RuntimeConfig } from "@ztix/core";

/** Where a deployed Lambda finds its runtime config (SST copies the stage's file there). */
export const LAMBDA_RUNTIME_CONFIG_PATH = "/var/task/runtime-config.yaml";

/** Secrets every stage has even when the runtime config does not name them explicitly. */
export const BASELINE_SECRETS = ["peeringdb_client_secret", "session_key", "controller_token"] as const;

export interface StageConfig {
  /** The stage's runtime config file, relative to the repo root (SST `copyFiles` wants that). */
  source: string;
  config: RuntimeConfig;
  /** Every secret name the stage's code may read, sorted. */
  secretNames: string[];
}

/**
 * Reads and validates `runtime-config.<stage>.yaml` at deploy time, so a broken config fails
 * the deploy instead of the first request, and the secrets it names are created up front.
 */
export function loadStageConfig(root: string, stage: string): StageConfig {
  const source = `runtime-config.${stage}.yaml`;
  let text: string;
  try {
    text = readFileSync(join(root, source), "utf8");
  } catch {
    throw new Error(
      `${source} is missing: copy runtime-config.example.yaml to ${source} and edit it (see docs/deploy.md)`,
    );
  }
  const config = parseRuntimeConfig(text, source);
  return { source, config, secretNames: secretNamesOf(config) };
}

/** Collects `{ secret: name }` references; the central token only counts when Central is used. */
export function secretNamesOf(config: RuntimeConfig): string[] {
  const names = new Set<string>(BASELINE_SECRETS);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!value || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (typeof record.secret === "string" && Object.keys(record).length === 1) names.add(record.secret);
    for (const child of Object.values(record)) visit(child);
  };
  const { central, ...controller } = config.controller;
  visit({ ...config, controller });
  if (config.controller.provider === "central") visit(central);
  return [...names].sort();
}
