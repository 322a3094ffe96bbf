import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * Desired state: a member the route servers of its network must carry. Present while its
 * request is provisioning or active; written and deleted in the same transactions as those
 * status changes (or by the worker's route-server step), so it never outlives its request.
 * One partition per network: a reconcile reads its network's members with one strongly
 * consistent Query, never a Scan.
 */
export const routeServerMemberEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "routeServerMember", version: "1", service },
      attributes: {
        /** The network's 6-hex suffix (what route servers are configured with). */
        network: { type: "string", required: true },
        asn: { type: "number", required: true },
        nodeId: { type: "string", required: true },
        networkId: { type: "string", required: true },
        requestId: { type: "string", required: true },
        ipv4: { type: "string" },
        ipv6: { type: "string" },
        /**
         * An admin's override of this membership's policy data (absent: from PeeringDB). Kept
         * on the desired-state record because it lives exactly as long as the membership.
         */
        maxPrefixV4: { type: "number" },
        maxPrefixV6: { type: "number" },
        /** IRR objects to build the member's prefix lists from, instead of PeeringDB's as-set. */
        irrAsSetOverride: { type: "list", items: { type: "string" } },
        overrideBy: { type: "string" },
        overrideAt: { type: "string" },
        overrideNote: { type: "string" },
        /** `pending` until every route server of the network carries it and the request is active. */
        activation: { type: ["pending", "active"] as const, required: true },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        byNetwork: {
          pk: { field: "pk", composite: ["network"] },
          sk: { field: "sk", composite: ["asn", "nodeId"] },
        },
      },
    },
    config,
  );
export type RouteServerMemberItem = EntityItem<ReturnType<typeof routeServerMemberEntity>>;
