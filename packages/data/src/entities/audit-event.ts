import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * Something that happened, to whom, by whom. `subject` groups a trail (`request#<id>`,
 * `user#<id>`, `controller`, `auth`); `eventId` sorts by time. The `recent` index buckets
 * events by month so "recent audit overall" is a Query on one or two partitions.
 */
export const auditEventEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "auditEvent", version: "1", service },
      attributes: {
        subject: { type: "string", required: true },
        eventId: { type: "string", required: true },
        month: { type: "string", required: true },
        at: { type: "string", required: true },
        action: { type: "string", required: true },
        actorType: { type: ["user", "admin", "system", "anonymous"] as const, required: true },
        actorId: { type: "string" },
        requestId: { type: "string" },
        fromStatus: { type: "string" },
        toStatus: { type: "string" },
        /** `operator` events are shown to the request's owner; `admin` ones only to admins. */
        visibility: { type: ["operator", "admin"] as const, required: true, default: "admin" },
        message: { type: "string" },
        metadata: { type: "any" },
        correlationId: { type: "string" },
      },
      indexes: {
        bySubject: {
          pk: { field: "pk", composite: ["subject"] },
          sk: { field: "sk", composite: ["eventId"] },
        },
        recent: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["month"] },
          sk: { field: "gsi1sk", composite: ["eventId"] },
        },
      },
    },
    config,
  );
export type AuditEventItem = EntityItem<ReturnType<typeof auditEventEntity>>;
