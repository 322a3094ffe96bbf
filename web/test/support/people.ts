import { hashPassword } from "@ztix/auth";
import type { DataService } from "@ztix/data";
import { seedUser } from "../../../test/support/users.ts";

export const PASSWORD = "correct horse battery staple";

/** A local account (user + ASNs + password) that signs in through the real login route. */
export async function seedLocalAccount(
  data: DataService,
  input: {
    username: string;
    isAdmin?: boolean;
    asns?: { asn: number; name?: string }[];
    networks?: string[];
  },
) {
  const user = await seedUser(data, input);
  const now = new Date().toISOString();
  await data.entities.localCredential
    .create({
      username: input.username,
      userId: user.userId,
      passwordHash: await hashPassword(PASSWORD),
      createdAt: now,
      updatedAt: now,
    })
    .go();
  return user;
}

/** IX network rows as the controller reconciler would leave them. */
export async function seedNetwork(data: DataService, networkId: string, name: string) {
  const now = new Date().toISOString();
  await data.entities.ixNetwork
    .create({ networkId, suffix: networkId.slice(10), name, active: true, createdAt: now, updatedAt: now })
    .go();
}
