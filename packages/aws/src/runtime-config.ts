import { readFileSync } from "node:fs";
import { parseRuntimeConfig, type RuntimeConfig } from "@ztix/core";

/** Reads runtime config from `ZTIX_RUNTIME_CONFIG` (a path) or ./runtime-config.yaml. */
export function loadRuntimeConfig(
  path = process.env.ZTIX_RUNTIME_CONFIG ?? "runtime-config.yaml",
): RuntimeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read runtime config ${path}: ${(e as Error).message}`);
  }
  return parseRuntimeConfig(text, path);
}
