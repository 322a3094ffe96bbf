import { z } from "zod";
import { secretRefSchema, sshTargetSchema } from "./secret-ref.ts";

const directTransportSchema = z.strictObject({
  kind: z.literal("direct"),
  /** Controller API base URL, e.g. http://127.0.0.1:9993 (local runs and tests). */
  url: z.url(),
});

const sshTransportSchema = z.strictObject({
  kind: z.literal("ssh"),
  ssh: sshTargetSchema,
  /** Where the controller API listens on the controller host (reached through forwardOut). */
  remote_host: z.string().default("127.0.0.1"),
  remote_port: z.number().int().min(1).max(65535).default(9993),
});

export const controllerConfigSchema = z
  .strictObject({
    provider: z.enum(["self_hosted_controller", "central"]).default("self_hosted_controller"),
    transport: z.discriminatedUnion("kind", [directTransportSchema, sshTransportSchema]).default({
      kind: "direct",
      url: "http://127.0.0.1:9993",
    }),
    token: secretRefSchema.default({ secret: "controller_token" }),
    /**
     * `npm run dev` only: start the controller emulator (a test and dev fixture) on the
     * transport's URL. Never inferred from the URL, so a real controller on this machine
     * (127.0.0.1:9993) can be used by leaving this false.
     */
    emulator: z.boolean().default(false),
    request_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    /** ZeroTier home on the controller host (holds controller.d/ and identity.*). */
    home_dir: z.string().startsWith("/").default("/var/lib/zerotier-one"),
    /** Command run over SSH to restart the controller after a restore. */
    restart_command: z.string().min(1).default("sudo systemctl restart zerotier-one"),
    /**
     * The worker reruns preflight when the last one is older than this, and retries a gate
     * closed for a transient reason (unreachable, not ready) no more often than every
     * `gate_retry_seconds`. A gate closed for a permanent reason waits for an operator.
     */
    preflight_max_age_seconds: z.number().int().min(10).max(86_400).default(300),
    gate_retry_seconds: z.number().int().min(0).max(3600).default(30),
    central: z
      .strictObject({
        url: z.url().default("https://api.zerotier.com/api/v1"),
        token: secretRefSchema.default({ secret: "central_token" }),
        /** Central hosts the IX networks on its own controllers: their 10-hex id prefix. */
        controller_address: z
          .string()
          .regex(/^[0-9a-f]{10}$/, "must be 10 lower-case hex digits")
          .optional(),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (!c.emulator) return;
    // The emulator listens on this machine and speaks the self-hosted controller's API only.
    const local =
      c.provider === "self_hosted_controller" &&
      c.transport.kind === "direct" &&
      ["127.0.0.1", "localhost"].includes(new URL(c.transport.url).hostname);
    if (!local) {
      ctx.addIssue({
        code: "custom",
        path: ["emulator"],
        message:
          "the emulator runs on this machine: it needs provider self_hosted_controller and transport { kind: direct, url: http://127.0.0.1:<port> }",
      });
    }
  })
  .prefault({});

export const backupConfigSchema = z
  .strictObject({
    prefix: z.string().default("controller-backups"),
    keep: z.number().int().min(1).max(1000).default(14),
  })
  .prefault({});
