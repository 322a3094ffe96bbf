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
