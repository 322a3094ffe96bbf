import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { type RuntimeConfig, runtimeConfigSchema } from "./schema.ts";

/** Renders zod issues as `field.path: problem` lines an operator can act on. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
}

/**
 * Parses and validates runtime config text. Throws an AppError (`invalid_config`) whose
 * message names every bad field, so a bad deploy fails at start, not at first use.
 */
export function parseRuntimeConfig(text: string, source = "runtime-config.yaml"): RuntimeConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new AppError("invalid_config", `${source}: not valid YAML: ${(e as Error).message}`, {}, 500);
  }
  const result = runtimeConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = describeIssues(result.error.issues);
    throw new AppError(
      "invalid_config",
      `${source} is invalid:\n  ${problems.join("\n  ")}`,
      { problems },
      500,
    );
  }
  return result.data;
}
