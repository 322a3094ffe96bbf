/** Secret names look like `ztix/<stage>/<name>`; the code adds the name to this prefix. */
export function secretPrefix(stage: string): string {
  return `ztix/${stage}/`;
}

/**
 * One Secrets Manager secret per name, created empty: operators set each value with
 * `aws secretsmanager put-secret-value` (docs/deploy.md), so no value ever passes through
 * Pulumi state or git. The `ZtixSecrets` link tells the code where to look and grants
 * GetSecretValue on exactly these secrets.
 */
export function createSecrets(options: { stage: string; names: string[]; production: boolean }) {
  const prefix = secretPrefix(options.stage);
  const secrets = options.names.map(
    (name) =>
      new aws.secretsmanager.Secret(
        `Secret${pascal(name)}`,
        {
          name: `${prefix}${name}`,
          description: `ZT-IX ${options.stage}: ${name} (set with aws secretsmanager put-secret-value)`,
          // Disposable stages re-create their secrets under the same name right after removal.
          recoveryWindowInDays: options.production ? 30 : 0,
        },
        { retainOnDelete: options.production },
      ),
  );
  const link = new sst.Linkable("ZtixSecrets", {
    properties: { backend: "secretsmanager" as const, prefix },
    include: [
      sst.aws.permission({
        actions: ["secretsmanager:GetSecretValue"],
        resources: secrets.map((s) => s.arn),
      }),
    ],
  });
  return { link, secrets, prefix };
}

function pascal(name: string): string {
  return name
    .split(/[^a-z0-9]+/i)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

export type Secrets = ReturnType<typeof createSecrets>;
