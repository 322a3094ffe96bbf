import { z } from "zod";
import { authConfigSchema, sessionConfigSchema } from "./auth.ts";
import { backupConfigSchema, controllerConfigSchema } from "./controller.ts";
import { networkConfigSchema } from "./networks.ts";
import { irrSourcesConfigSchema, peeringDbApiConfigSchema } from "./policy-data.ts";
import { routeServerPolicySchema, routeServerSchema } from "./route-servers.ts";

export const runtimeConfigSchema = z
  .strictObject({
    /** Public origin of the SPA + API (used for cookies, CSRF Origin checks and OIDC redirects). */
    public_url: z.url().default("http://localhost:8787"),
    session: sessionConfigSchema,
    auth: authConfigSchema,
    asn_policy: z
      .strictObject({
        allow_private: z.boolean().default(false),
        allow_documentation: z.boolean().default(false),
      })
      .prefault({}),
    workflow: z
      .strictObject({
        approval_mode: z.enum(["manual_admin", "policy_auto"]).default("manual_admin"),
        /** How `policy_auto` decides (ignored under manual_admin). */
        policy_auto: z
          .strictObject({
            /**
             * Approve only once the request's node has asked the controller to join (the
             * controller lists it as an unauthorized member): a typo'd or someone else's node
             * id then waits for an admin instead of being provisioned.
             */
            require_node_seen: z.boolean().default(false),
          })
          .prefault({}),
        /** The sweeper re-enqueues requests sitting in approved/provisioning longer than this. */
        stuck_after_minutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(15),
        /**
         * A request that stays `failed` this long gives its addresses back to the pool (and its
         * node leaves the controller); a retry after that gets new ones.
         */
        failed_address_grace_hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 365)
          .default(72),
      })
      .prefault({}),
    networks: z.array(networkConfigSchema).min(1, "configure at least one IX network"),
    controller: controllerConfigSchema,
    route_servers: z.array(routeServerSchema).default([]),
    route_server_policy: routeServerPolicySchema,
    /** Where per-member policy data comes from: PeeringDB records and IRR prefix lists. */
    peeringdb_api: peeringDbApiConfigSchema,
    irr_sources: irrSourcesConfigSchema,
    backups: backupConfigSchema,
  })
  .superRefine((cfg, ctx) => {
    if (cfg.route_server_policy.irr.mode === "strict" && !cfg.irr_sources.host) {
      ctx.addIssue({
        code: "custom",
        path: ["irr_sources", "host"],
        message: "strict IRR filtering needs an IRR server to build the members' prefix lists from",
      });
    }
    const seen = new Set<string>();
    cfg.networks.forEach((n, i) => {
      if (seen.has(n.suffix)) {
        ctx.addIssue({
          code: "custom",
          path: ["networks", i, "suffix"],
          message: `duplicate suffix ${n.suffix}`,
        });
      }
      seen.add(n.suffix);
    });
    const ids = new Set<string>();
    cfg.route_servers.forEach((rs, i) => {
      if (ids.has(rs.id)) {
        ctx.addIssue({ code: "custom", path: ["route_servers", i, "id"], message: `duplicate id ${rs.id}` });
      }
      ids.add(rs.id);
      (rs.networks ?? []).forEach((suffix, j) => {
        if (!seen.has(suffix)) {
          ctx.addIssue({
            code: "custom",
            path: ["route_servers", i, "networks", j],
            message: `${suffix} is not one of the configured networks`,
          });
        }
      });
    });
  });

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;
export type RuntimeConfigInput = z.input<typeof runtimeConfigSchema>;
