import { z } from "zod";
import { secretRefSchema } from "./secret-ref.ts";

export const sessionConfigSchema = z
  .strictObject({
    cookie_name: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default("ztix_session"),
    idle_timeout_minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(120),
    absolute_timeout_hours: z
      .number()
      .int()
      .min(1)
      .max(30 * 24)
      .default(12),
    /** `auto`: Secure unless the public URL is plain http on localhost. */
    secure_cookie: z.union([z.boolean(), z.literal("auto")]).default("auto"),
  })
  .prefault({});

export const peeringDbConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    issuer: z.url().default("https://auth.peeringdb.com/"),
    client_id: z.string().min(1).default("ztix"),
    client_secret: secretRefSchema.default({ secret: "peeringdb_client_secret" }),
    /** `openid` is required: without it there is no id_token, so no nonce or signature to check. */
    scopes: z
      .array(z.string().min(1))
      .min(1)
      .refine((s) => s.includes("openid"), "must include openid")
      .default(["openid", "profile", "email", "networks"]),
    /** The SPA route PeeringDB redirects back to; it posts {code, state} to the API. */
    redirect_path: z.string().startsWith("/").default("/auth/callback"),
    /** PeeringDB perms bits that count as "more than read" (2 update, 4 create, 8 delete). */
    required_perms_mask: z.number().int().min(1).max(15).default(14),
    state_ttl_seconds: z.number().int().min(30).max(3600).default(600),
    /**
     * `npm run dev` only: start the PeeringDB stand-in (a local OpenID provider with demo
     * users) at `issuer`. Never inferred from the issuer, so another OpenID provider on this
     * machine can be used by leaving this false.
     */
    stand_in: z.boolean().default(false),
  })
  .superRefine((p, ctx) => {
    if (p.stand_in && !["127.0.0.1", "localhost"].includes(new URL(p.issuer).hostname)) {
      ctx.addIssue({
        code: "custom",
        path: ["stand_in"],
        message: "the stand-in runs on this machine: it needs an issuer on http://localhost:<port>/",
      });
    }
  })
  .prefault({});

export const localAuthConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    throttle: z
      .strictObject({
        max_failures_per_username: z.number().int().min(1).default(5),
        max_failures_per_address: z.number().int().min(1).default(20),
        window_seconds: z.number().int().min(10).default(900),
      })
      .prefault({}),
  })
  .prefault({});

export const authConfigSchema = z
  .strictObject({
    peeringdb: peeringDbConfigSchema,
    local: localAuthConfigSchema,
  })
  .prefault({});
