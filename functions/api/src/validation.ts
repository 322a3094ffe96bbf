import { AppError } from "@ztix/core";
import type { Context } from "hono";
import type { z } from "zod";

/** Field-level details for a 400: `{ fields: { "node_id": ["must be 10 lower-case hex digits"] } }`. */
export function validationError(error: z.ZodError, where = "body"): AppError {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "(root)";
    const message =
      issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message;
    fields[key] = [...(fields[key] ?? []), message];
  }
  return new AppError("validation_failed", `the request ${where} is invalid`, { fields });
}

/**
 * Parses a JSON request body with a zod schema. Wrong content type → 415, malformed JSON →
 * 400 `invalid_json`, schema mismatch → 400 `validation_failed` with per-field details.
 * (The body size cap is enforced before this by the body-limit middleware.)
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError("unsupported_media_type", "send the body as application/json");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new AppError("invalid_json", "the request body is not valid JSON");
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

/** Parses query parameters with a zod schema (400 `validation_failed` on mismatch). */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw validationError(result.error, "query");
  return result.data;
}
