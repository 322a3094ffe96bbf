import { tableKeyDesign } from "@ztix/data";

/** Noncurrent backup versions (overwritten or pruned) stay this long for restores, then expire. */
export const BACKUP_NONCURRENT_DAYS = 90;
/** Abandoned multipart uploads of a failed backup are cleaned after this many days. */
export const BACKUP_ABORT_MULTIPART_DAYS = 7;

/**
 * The single DynamoDB table (key design shared with the code through @ztix/data) and the
 * private bucket for controller backups.
 */
export function createStorage(options: { production: boolean }) {
  const d = tableKeyDesign;
  const keys = [d.partitionKey, d.sortKey, ...d.globalIndexes.flatMap((g) => [g.partitionKey, g.sortKey])];
  const table = new sst.aws.Dynamo("Table", {
    fields: Object.fromEntries(keys.map((k) => [k, "string" as const])),
    primaryIndex: { hashKey: d.partitionKey, rangeKey: d.sortKey },
    globalIndexes: Object.fromEntries(
      d.globalIndexes.map((g) => [
        g.name,
        { hashKey: g.partitionKey, rangeKey: g.sortKey, projection: "all" as const },
      ]),
    ),
    ttl: d.ttlAttribute,
    deletionProtection: options.production,
    transform: {
      table: (args) => {
        // Point-in-time recovery on every stage: a bad migration is undone by restoring a copy.
        args.pointInTimeRecovery = { enabled: true };
      },
    },
  });

  const bucket = new sst.aws.Bucket("BackupBucket", {
    versioning: true,
    enforceHttps: true,
    // Only the worker and ops scripts use it, through the SDK: no browser access.
    cors: false,
    lifecycle: [{ id: "expire-noncurrent-backups" }],
    transform: {
      // SST's lifecycle args have no noncurrent-version rules; set the rule in full here.
      lifecycle: (args) => {
        args.rules = [
          {
            id: "expire-noncurrent-backups",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: BACKUP_NONCURRENT_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: BACKUP_ABORT_MULTIPART_DAYS },
          },
        ];
      },
    },
  });

  // S3 encrypts new objects by default; stating it keeps the guarantee explicit and reviewable.
  new aws.s3.BucketServerSideEncryptionConfiguration("BackupBucketEncryption", {
    bucket: bucket.name,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
  });

  return { table, bucket };
}

export type Storage = ReturnType<typeof createStorage>;
