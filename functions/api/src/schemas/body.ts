import type { Context } from "hono";
import type { z } from "zod";
import { parseJsonBody } from "../validation.ts";

/**
 * For actions that take no fields (approve, retry, cancel): no body at all is `{}`; a body
 * that is sent goes through the same checks as any other (JSON content type, valid JSON,
 * strict schema), so junk is refused rather than ignored.
 */
export async function parseOptionalJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  const text = await c.req.text();
  if (text === "" && !c.req.header("content-type")) {
    const result = schema.safeParse({});
    if (result.success) return result.data;
  }
  return parseJsonBody(c, schema);
}
