import { describe, expect, it } from "vitest";
import { linkedResources } from "../src/resources.ts";

describe("linked resources", () => {
  it("fails only when a function reaches for a resource it is not linked to", async () => {
    const saved = process.env.SST_RESOURCE_BackupBucket;
    delete process.env.SST_RESOURCE_BackupBucket;
    process.env.SST_RESOURCE_Table = JSON.stringify({ name: "ztix-t" });
    try {
      const resources = linkedResources();
      expect(resources.tableName).toBe("ztix-t");
      expect(() => resources.bucketName).toThrow(/BackupBucket is not available here/);
    } finally {
      if (saved !== undefined) process.env.SST_RESOURCE_BackupBucket = saved;
    }
  });
});
