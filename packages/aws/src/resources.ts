import { Resource } from "sst/resource";

/**
 * The linked resources the code needs. In AWS, SST links provide them; `sst shell` injects
 * the same values as SST_RESOURCE_* variables, and the local launcher sets those itself.
 * Each value is read when first used, so a function linked to only some resources (the API
 * has no bucket) starts fine and fails only if it reaches for one it was not given.
 */
export interface LinkedResources {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucketName: string;
  readonly secrets: SecretsBackend;
  readonly stage: string;
}

export type SecretsBackend =
  | { backend: "file"; path: string }
  | { backend: "secretsmanager"; prefix: string };

type Linked = Record<string, Record<string, unknown> | undefined>;

function linked(name: string): Record<string, unknown> | undefined {
  try {
    // `in` never throws; indexing an unlinked name does ("X is not linked").
    return name in (Resource as object) ? (Resource as unknown as Linked)[name] : undefined;
  } catch {
    return undefined;
  }
}

function required(name: string, key: string): unknown {
  const value = linked(name)?.[key];
  if (value === undefined || value === "") {
    throw new Error(
      `linked resource ${name} is not available here: link it in infra/, or run through npm run dev or sst shell`,
    );
  }
  return value;
}

export function linkedResources(): LinkedResources {
  return {
    get tableName() {
      return String(required("Table", "name"));
    },
    get queueUrl() {
      return String(required("ProvisioningQueue", "url"));
    },
    get dlqUrl() {
      return String(required("ProvisioningDlq", "url"));
    },
    get bucketName() {
      return String(required("BackupBucket", "name"));
    },
    get secrets() {
      const secrets = linked("ZtixSecrets");
      if (!secrets?.backend) return required("ZtixSecrets", "backend") as never;
      return secrets as unknown as SecretsBackend;
    },
    get stage() {
      return String(linked("App")?.stage ?? process.env.ZTIX_STAGE ?? "local");
    },
  };
}

/** The stage named by SST's linked App (set in Lambda and by `sst shell`), if any. */
export function linkedStage(): string | undefined {
  const stage = linked("App")?.stage;
  return typeof stage === "string" ? stage : undefined;
}

/** Environment variables that make `linkedResources()` work without SST (local runs, tests). */
export function resourceEnv(values: {
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  bucketName: string;
  secrets: SecretsBackend;
  stage?: string;
}): Record<string, string> {
  return {
    SST_RESOURCE_Table: JSON.stringify({ name: values.tableName }),
    SST_RESOURCE_ProvisioningQueue: JSON.stringify({ url: values.queueUrl }),
    SST_RESOURCE_ProvisioningDlq: JSON.stringify({ url: values.dlqUrl }),
    SST_RESOURCE_BackupBucket: JSON.stringify({ name: values.bucketName }),
    SST_RESOURCE_ZtixSecrets: JSON.stringify(values.secrets),
    SST_RESOURCE_App: JSON.stringify({ name: "ztix", stage: values.stage ?? "local" }),
  };
}
