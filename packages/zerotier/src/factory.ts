import { SecretNotFoundError, type SecretStore } from "@ztix/aws";
import type { RuntimeConfig } from "@ztix/core";
import { SshConnection } from "@ztix/ssh";
import { centralProvider } from "./central.ts";
import { ControllerError } from "./errors.ts";
import { httpClient } from "./http.ts";
import { selfHostedProvider } from "./self-hosted.ts";
import type { ControllerProvider } from "./types.ts";

export type ControllerConfig = RuntimeConfig["controller"];

/** Reads a secret, turning "not set" into a permanent controller error an admin can act on. */
export function secretReader(secrets: SecretStore, name: string): () => Promise<string> {
  return async () => {
    try {
      return (await secrets.get(name)).trim();
    } catch (e) {
      if (e instanceof SecretNotFoundError) {
        throw new ControllerError("controller_secret_missing", `secret "${name}" is not set`, {
          secret: name,
        });
      }
      throw e;
    }
  };
}

/** Builds the configured provider. Secrets are read per call, so a reload needs only `invalidate`. */
export function createControllerProvider(config: ControllerConfig, secrets: SecretStore): ControllerProvider {
  if (config.provider === "central") {
    const address = config.central.controller_address;
    if (!address) {
      throw new ControllerError(
        "controller_rejected",
        "controller.central.controller_address is required for central",
      );
    }
    return centralProvider({
      http: httpClient({ baseUrl: config.central.url, timeoutMs: config.request_timeout_ms }),
      token: secretReader(secrets, config.central.token.secret),
      controllerAddress: address,
    });
  }
  const token = secretReader(secrets, config.token.secret);
  const onUnauthorized = () => secrets.invalidate(config.token.secret);
  const transport = config.transport;
  if (transport.kind === "direct") {
    return selfHostedProvider({
      http: httpClient({ baseUrl: transport.url, timeoutMs: config.request_timeout_ms }),
      token,
      onUnauthorized,
    });
  }
  const ssh = new SshConnection(transport.ssh, secretReader(secrets, transport.ssh.private_key.secret));
  const http = httpClient({
    baseUrl: `http://${transport.remote_host}:${transport.remote_port}`,
    timeoutMs: config.request_timeout_ms,
    open: () => ssh.forward(transport.remote_host, transport.remote_port),
  });
  return selfHostedProvider({ http, token, onUnauthorized, onClose: () => ssh.close() });
}
