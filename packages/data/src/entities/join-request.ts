import { requestStatuses } from "@ztix/core";
import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * A request to join an IX network. The status sits in two index keys (admin queue), so every
 * status change must also pass `createdAt`, `requestId` and `networkId` to rebuild them.
 */
export const joinRequestEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "joinRequest", version: "1", service },
      attributes: {
        requestId: { type: "string", required: true },
        userId: { type: "string", required: true },
        asn: { type: "number", required: true },
        asnName: { type: "string" },
        networkId: { type: "string", required: true },
        nodeId: { type: "string", required: true },
        notes: { type: "string" },
        status: { type: requestStatuses, required: true },
        createdAt: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
        /** Provisioning attempt; bumped by approve and retry, part of the SQS dedup id. */
        attempt: { type: "number", required: true, default: 0 },
        correlationId: { type: "string", required: true },
        decidedBy: { type: "string" },
        decidedAt: { type: "string" },
        approvedAt: { type: "string" },
        activeAt: { type: "string" },
        rejectReason: { type: "string" },
        lastErrorCode: { type: "string" },
        lastErrorMessage: { type: "string" },
        enqueuedAt: { type: "string" },
        /** The node that names the membership's BGP sessions (its first node; kept across replacements). */
        memberNodeId: { type: "string" },
        /** A node replacement: the active request whose membership this one takes over. */
        replacesRequestId: { type: "string" },
        /** Set by the job that replaced this membership's node: the request that took it over. */
        replacedByRequestId: { type: "string" },
        /** What the request waits on while it cannot progress (`controller`, `route_server:<id>`). */
        waitingOn: { type: "string" },
        waitingReason: { type: "string" },
        waitingSince: { type: "string" },
        /** The chain of waiting job copies that is current (older ones end when they arrive). */
        waitToken: { type: "string" },
        removalReason: { type: "string" },
        removedAt: { type: "string" },
        /** When its addresses went back to the pool (removed, or failed past the grace period). */
        addressesReleasedAt: { type: "string" },
        /**
         * Whether the node has asked the controller to join this network (a real controller
         * keeps an unauthorized member record for a node that asked). Sticky: once seen, a
         * later check that finds no record does not unsee it. Absent: never checked.
         */
        nodeSeen: { type: "boolean" },
        /** The first check that found the node's request (not when the node asked: the controller does not say). */
        nodeSeenAt: { type: "string" },
        /** The last check that got an answer from the controller. */
        nodeSeenCheckedAt: { type: "string" },
        /** What that check found on the controller for this node. */
        nodeMemberState: { type: ["absent", "unauthorized", "authorized"] as const },
        /** The last time an admin asked for a check (throttles `POST …/inspect`). */
        nodeCheckRequestedAt: { type: "string" },
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["requestId"] }, sk: { field: "sk", composite: [] } },
        byUser: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["userId"] },
          sk: { field: "gsi1sk", composite: ["createdAt", "requestId"] },
        },
        byAsn: {
          index: "gsi2",
          pk: { field: "gsi2pk", composite: ["asn"] },
          sk: { field: "gsi2sk", composite: ["createdAt", "requestId"] },
        },
        byStatus: {
          index: "gsi3",
          pk: { field: "gsi3pk", composite: ["status"] },
          sk: { field: "gsi3sk", composite: ["createdAt", "requestId"] },
        },
        byNetworkStatus: {
          index: "gsi4",
          pk: { field: "gsi4pk", composite: ["networkId", "status"] },
          sk: { field: "gsi4sk", composite: ["createdAt", "requestId"] },
        },
      },
    },
    config,
  );
export type JoinRequestItem = EntityItem<ReturnType<typeof joinRequestEntity>>;
