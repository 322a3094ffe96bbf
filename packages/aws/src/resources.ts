import { Resource } from "sst/resource";

/**
 * The linked resources the code needs. In AWS, SST links provide them; `sst shell` injects
 * the same values as SST_RESOURCE_* variables, and the local launcher sets those itself.
 */
export interface LinkedResources {
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  bucketName: string;
  secrets: SecretsBackend;
  stage: string;
}

export type SecretsBackend =
  | { backend: "file"; path: string }
  | { backend: "secretsmanager"; prefix: string };

type Linked = Record<string, Record<string, unknown>>;

function read(name: string): Record<string, unknown> {
  try {
    return (Resource as unknown as Linked)[name] ?? {};
  } catch (e) {
    throw new Error(
      `linked resource ${name} is missing (${(e as Error).message}); run through npm run dev or sst shell`,
    );
  }
}

export function linkedResources(): LinkedResources {
  const table = read("Table");
  const queue = read("ProvisioningQueue");
  const dlq = read("ProvisioningDlq");
  const bucket = read("BackupBucket");
  const secrets = read("ZtixSecrets");
  const app = (() => {
    try {
      return (Resource as unknown as Linked).App ?? {};
    } catch {
      return {};
    }
  })();
  return {
    tableName: String(table.name),
    queueUrl: String(queue.url),
    dlqUrl: String(dlq.url),
    bucketName: String(bucket.name),
    secrets: secrets as unknown as SecretsBackend,
    stage: String(app.stage ?? process.env.ZTIX_STAGE ?? "local"),
  };
}

/** Environment variables that make `linkedResources()` work without SST (local runs, tests). */
export function resourceEnv(
  values: Omit<LinkedResources, "stage"> & { stage?: string },
): Record<string, string> {
  return {
    SST_RESOURCE_Table: JSON.stringify({ name: values.tableName }),
    SST_RESOURCE_ProvisioningQueue: JSON.stringify({ url: values.queueUrl }),
    SST_RESOURCE_ProvisioningDlq: JSON.stringify({ url: values.dlqUrl }),
    SST_RESOURCE_BackupBucket: JSON.stringify({ name: values.bucketName }),
    SST_RESOURCE_ZtixSecrets: JSON.stringify(values.secrets),
    SST_RESOURCE_App: JSON.stringify({ name: "ztix", stage: values.stage ?? "local" }),
  };
}
