import { randomBytes } from "node:crypto";
import { currentLogContext } from "@ztix/core";
import type { AuditEventItem } from "./entities/audit-event.ts";
import type { DataService } from "./service.ts";

export type AuditInput = Omit<AuditEventItem, "eventId" | "month" | "at" | "visibility"> & {
  at?: Date;
  visibility?: AuditEventItem["visibility"];
};

/** Time-ordered, collision-free event id: ISO time, then random bits. */
export function newEventId(at: Date = new Date()): string {
  return `${at.toISOString()}#${randomBytes(6).toString("hex")}`;
}

/** The item to write for an audit event (used alone or inside a transaction). */
export function auditItem(input: AuditInput): AuditEventItem {
  const at = input.at ?? new Date();
  const { at: _ignored, ...rest } = input;
  return {
    ...rest,
    visibility: input.visibility ?? "admin",
    correlationId: input.correlationId ?? (currentLogContext().correlationId as string | undefined),
    eventId: newEventId(at),
    month: at.toISOString().slice(0, 7),
    at: at.toISOString(),
  };
}

export async function writeAudit(data: DataService, input: AuditInput): Promise<AuditEventItem> {
  const item = auditItem(input);
  await data.entities.auditEvent.create(item).go();
  return item;
}

/** The audit trail of one subject, oldest first. */
export async function auditTrail(data: DataService, subject: string, options: { limit?: number } = {}) {
  const out = await data.entities.auditEvent.query
    .bySubject({ subject })
    .go({ pages: "all", limit: options.limit });
  return out.data;
}

/** The most recent audit events overall, newest first (this month, then last month). */
export async function recentAudit(data: DataService, limit = 50, now = new Date()) {
  const months = [
    now.toISOString().slice(0, 7),
    new Date(now.getFullYear(), now.getMonth() - 1, 15).toISOString().slice(0, 7),
  ];
  const events: AuditEventItem[] = [];
  for (const month of months) {
    if (events.length >= limit) break;
    const out = await data.entities.auditEvent.query
      .recent({ month })
      .go({ order: "desc", limit: limit - events.length });
    events.push(...out.data);
  }
  return events;
}
