import { createHash } from "node:crypto";
import { PassThrough, Transform } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { AppError, type Logger, type RuntimeConfig } from "@ztix/core";
import { type DataService, writeAudit } from "@ztix/data";
import type { ControllerHost } from "../host/types.ts";

export interface BackupDeps {
  config: RuntimeConfig;
  data: DataService;
  s3: S3Client;
  bucket: string;
  stage: string;
  host: ControllerHost;
  log?: Logger;
  now?: () => Date;
  onProgress?: (message: string) => void;
}

export interface BackupInfo {
  key: string;
  at: string;
  size: number;
}

/** `controller-backups/<stage>/` */
export function backupPrefix(config: RuntimeConfig, stage: string): string {
  return `${config.backups.prefix.replace(/\/+$/, "")}/${stage}/`;
}

/** Sortable and S3-safe: 2026-11-22T10-15-30-123Z. */
export function backupTimestamp(at: Date): string {
  return at.toISOString().replace(/[:.]/g, "-");
}

/** The checksum sits beside the archive, written after the upload (only then is it known). */
export const checksumKey = (key: string) => `${key}.sha256`;

/**
 * Streams a tar.gz of the controller's state from its host to S3, hashing on the way, then
 * writes the sha256 sidecar and prunes to the newest `backups.keep`.
 */
export async function createBackup(
  deps: BackupDeps,
): Promise<BackupInfo & { sha256: string; pruned: string[] }> {
  const at = (deps.now ?? (() => new Date()))();
  const key = `${backupPrefix(deps.config, deps.stage)}${backupTimestamp(at)}.tar.gz`;
  const hash = createHash("sha256");
  let size = 0;
  const body = new PassThrough();
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  hasher.pipe(body);
  deps.onProgress?.(`archiving ${deps.host.homeDir} to s3://${deps.bucket}/${key}`);
  const upload = new Upload({
    client: deps.s3,
    params: { Bucket: deps.bucket, Key: key, Body: body, ContentType: "application/gzip" },
  });
  upload.on("httpUploadProgress", (p) => deps.onProgress?.(`uploaded ${p.loaded ?? 0} bytes`));
  const reading = deps.host.readArchive(hasher).catch((e: Error) => {
    body.destroy(e);
    throw e;
  });
  await Promise.all([reading, upload.done()]);
  const sha256 = hash.digest("hex");
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: checksumKey(key),
      Body: `${sha256}  ${key.split("/").pop()}\n`,
      ContentType: "text/plain",
    }),
  );
  deps.onProgress?.(`sha256 ${sha256} (${size} bytes)`);
  const pruned = await pruneBackups(deps, deps.config.backups.keep);
  for (const k of pruned) deps.onProgress?.(`pruned ${k}`);
  // Not a gate change, but it bumps the version too: a gate write that read the item before
  // this patch then fails its condition and re-reads, instead of putting back the old backup key.
  await deps.data.entities.controllerState
    .patch({ singleton: "controller" })
    .set({ lastBackupKey: key, lastBackupAt: at.toISOString(), updatedAt: at.toISOString() })
    .add({ version: 1 })
    .go()
    .catch(() => undefined); // no gate state yet (never preflighted): nothing to annotate
  await writeAudit(deps.data, {
    subject: "controller",
    action: "controller.backup_created",
    actorType: "system",
    message: `backup ${key}`,
    metadata: { key, sha256, size, pruned },
    at,
  });
  return { key, at: at.toISOString(), size, sha256, pruned };
}

/** Backups of this stage, newest first. */
export async function listBackups(
  deps: Pick<BackupDeps, "s3" | "bucket" | "config" | "stage">,
): Promise<BackupInfo[]> {
  const prefix = backupPrefix(deps.config, deps.stage);
  const out: BackupInfo[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (!o.Key?.endsWith(".tar.gz")) continue;
      out.push({ key: o.Key, at: o.LastModified?.toISOString() ?? "", size: o.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // Keys embed the timestamp, so name order is time order.
  return out.sort((a, b) => (a.key < b.key ? 1 : -1));
}

/** Deletes all but the newest `keep` backups (archive and checksum). */
export async function pruneBackups(
  deps: Pick<BackupDeps, "s3" | "bucket" | "config" | "stage">,
  keep: number,
) {
  const backups = await listBackups(deps);
  const doomed = backups.slice(keep).map((b) => b.key);
  for (const key of doomed) {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: checksumKey(key) }));
  }
  return doomed;
}

/** Downloads a backup and checks it against its sha256 sidecar. */
export async function fetchVerifiedBackup(
  deps: Pick<BackupDeps, "s3" | "bucket">,
  key: string,
): Promise<Buffer> {
  const read = async (k: string) => {
    try {
      const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: k }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === "NoSuchKey" || name === "NotFound")
        throw new AppError("not_found", `no backup object ${k}`, { key: k });
      throw e;
    }
  };
  const [archive, sidecar] = await Promise.all([read(key), read(checksumKey(key))]);
  const expected = sidecar.toString("utf8").trim().split(/\s+/)[0];
  const actual = createHash("sha256").update(archive).digest("hex");
  if (expected !== actual) {
    throw new AppError(
      "backup_checksum_mismatch",
      `backup ${key} is corrupt: sha256 ${actual}, expected ${expected}`,
      {
        key,
      },
      409,
    );
  }
  return archive;
}
