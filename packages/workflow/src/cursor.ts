import { AppError } from "@ztix/core";
import { z } from "zod";

/** A position in a list sorted by (createdAt, requestId): the last item a page returned. */
export interface Position {
  createdAt: string;
  requestId: string;
}

const positionSchema = z.strictObject({
  v: z.literal(1),
  c: z.iso.datetime(),
  r: z.uuid(),
});

/**
 * Cursors are opaque to clients (base64url JSON of the last position). They name a position,
 * not a DynamoDB key, so one cursor works across the merged partitions of a listing.
 */
export function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify({ v: 1, c: p.createdAt, r: p.requestId })).toString("base64url");
}

/** The position in a cursor; a malformed cursor is the client's mistake (400). */
export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    raw = undefined;
  }
  const parsed = positionSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("validation_failed", "the request query is invalid", {
      fields: { cursor: ["not a cursor this API handed out"] },
    });
  }
  return { createdAt: parsed.data.c, requestId: parsed.data.r };
}

/** Sort key as the index orders it (ElectroDB lower-cases key values). */
export function positionKey(p: Position): string {
  return `${p.createdAt}#${p.requestId}`.toLowerCase();
}
