import type { SecretStore } from "@ztix/aws";
import type { RouteServerConfig } from "@ztix/core";
import { SshConnection } from "@ztix/ssh";

/**
 * One SSH connection per route server, kept across reconciles (a warm Lambda or the local
 * worker saves a handshake per apply). A changed target in config gets a new connection.
 */
export class RouteServerConnections {
  private readonly open = new Map<string, { key: string; connection: SshConnection }>();

  constructor(private readonly secrets: SecretStore) {}

  get(rs: RouteServerConfig): SshConnection {
    const key = JSON.stringify(rs.ssh);
    const held = this.open.get(rs.id);
    if (held && held.key === key) return held.connection;
    void held?.connection.close();
    const connection = new SshConnection(rs.ssh, () => this.secrets.get(rs.ssh.private_key.secret));
    this.open.set(rs.id, { key, connection });
    return connection;
  }

  /** Drops one server's connection (after a failure that may have left it unusable). */
  async reset(routeServerId: string): Promise<void> {
    const held = this.open.get(routeServerId);
    this.open.delete(routeServerId);
    await held?.connection.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((h) => h.connection.close()));
  }
}
