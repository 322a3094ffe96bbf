import { randomUUID } from "node:crypto";
import { createSession } from "@ztix/auth";
import type { RuntimeConfig } from "@ztix/core";
import type { DataService, UserItem } from "@ztix/data";
import type { ApiClient } from "./api.ts";

/** Writes a user with ASNs and network-access rows straight into the table. */
export async function seedUser(
  data: DataService,
  input: {
    isAdmin?: boolean;
    asns?: { asn: number; name?: string }[];
    networks?: string[];
    username?: string;
  } = {},
): Promise<UserItem> {
  const now = new Date().toISOString();
  const user: UserItem = {
    userId: randomUUID(),
    username: input.username,
    displayName: input.username ?? "Test User",
    source: "local",
    isAdmin: input.isAdmin ?? false,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  await data.entities.user.create(user).go();
  for (const a of input.asns ?? []) {
    await data.entities.userAsn
      .create({ userId: user.userId, asn: a.asn, name: a.name, source: "local", createdAt: now })
      .go();
  }
  for (const networkId of input.networks ?? []) {
    await data.entities.userNetworkAccess.create({ userId: user.userId, networkId, createdAt: now }).go();
  }
  return user;
}

/** Signs `client` in as `user` by creating a session directly (the login routes have their own tests). */
export async function signIn(client: ApiClient, data: DataService, config: RuntimeConfig, user: UserItem) {
  const { token, csrfToken } = await createSession(
    data,
    { userId: user.userId, authMethod: "local" },
    config,
  );
  client.cookies.set(config.session.cookie_name, token);
  client.cookies.set("ztix_csrf", csrfToken);
  return client;
}
