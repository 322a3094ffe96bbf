import type { DataService, UserItem } from "@ztix/data";

/**
 * The users with these ids, read together: one BatchGetItem per 100 distinct ids (ElectroDB
 * splits larger sets), so a page of requests costs one call for its requesters, never one
 * per row. Keys DynamoDB leaves unprocessed (throttling) are asked for once more; a user
 * still missing is simply absent from the map (the page shows the id instead of a name).
 */
export async function usersById(
  data: DataService,
  userIds: Iterable<string>,
): Promise<Map<string, UserItem>> {
  const ids = [...new Set(userIds)].filter(Boolean);
  const found = new Map<string, UserItem>();
  let keys = ids.map((userId) => ({ userId }));
  for (let round = 0; round < 2 && keys.length > 0; round++) {
    const out = await data.entities.user.get(keys).go();
    for (const u of out.data) found.set(u.userId, u);
    keys = out.unprocessed.map((k) => ({ userId: k.userId }));
  }
  return found;
}
