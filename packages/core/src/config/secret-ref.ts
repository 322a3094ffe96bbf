import { z } from "zod";

/**
 * A secret is never written in runtime config: the config names it and the secrets adapter
 * (a local file in dev, Secrets Manager in AWS) resolves the name at run time.
 */
export const secretRefSchema = z.strictObject({
  secret: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "secret names are lower-case [a-z0-9_-]"),
});
export type SecretRef = z.infer<typeof secretRefSchema>;

/** An SSH endpoint whose host key is pinned: an unknown key is refused, never trusted on first use. */
export const sshTargetSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1),
  host_key_fingerprint: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, "must be an OpenSSH SHA256 fingerprint (ssh-keygen -lf)"),
  private_key: secretRefSchema,
  connect_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
});
export type SshTarget = z.infer<typeof sshTargetSchema>;
