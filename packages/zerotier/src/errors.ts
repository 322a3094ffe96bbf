import { AppError } from "@ztix/core";
import { isSshError } from "@ztix/ssh";

/**
 * Stable codes for controller failures. `transient` ones are worth retrying (the job waits
 * and is redelivered); permanent ones need a person: a rotated token, a fixed config, a
 * missing network. The remediation is what an admin reads next to the code.
 */
export const controllerErrorCodes = {
  controller_unreachable: {
    transient: true,
    remediation: "check the controller host and the SSH path to it",
  },
  controller_timeout: {
    transient: true,
    remediation: "the controller is slow or overloaded; check its host",
  },
  controller_server_error: {
    transient: true,
    remediation: "the controller answered 5xx; check zerotier-one's logs",
  },
  controller_not_ready: {
    transient: true,
    remediation: "the controller database is not ready yet; wait or restart it",
  },
  controller_unauthorized: {
    transient: false,
    remediation:
      "the controller token is wrong: update the secret and run `npm run controller -- reload-token`",
  },
  controller_rejected: { transient: false, remediation: "the controller refused the request as invalid" },
  controller_network_not_found: {
    transient: false,
    remediation: "the IX network does not exist on the controller: run `npm run controller -- preflight`",
  },
  controller_write_mismatch: {
    transient: false,
    remediation: "the controller silently dropped part of a write; check the configured addresses and routes",
  },
  preflight_interrupted: {
    transient: true,
    remediation:
      "preflight failed outside the controller (e.g. DynamoDB); it is retried by itself, see the logs if it persists",
  },
  controller_bad_response: {
    transient: false,
    remediation: "the controller answered something that is not its API",
  },
  controller_host_key_mismatch: {
    transient: false,
    remediation:
      "the controller host key does not match the pinned fingerprint: verify the host, then fix config",
  },
  controller_ssh_auth_failed: {
    transient: false,
    remediation: "the SSH key for the controller host was refused",
  },
  controller_secret_missing: {
    transient: false,
    remediation: "a controller secret is not set in the secrets store",
  },
  controller_not_restarted: {
    transient: false,
    remediation:
      "the controller still serves its state from before the restore (it reads controller.d/ only at start): restart zerotier-one on the controller host (`sudo systemctl restart zerotier-one`), then run `npm run controller -- restore-validate`; if it persists, run `restore` again",
  },
  restore_in_progress: {
    transient: false,
    remediation:
      "a restore closed the gate and has not been validated: let it finish, or finish it by hand and run `npm run controller -- restore-validate`",
  },
  restore_failed: {
    transient: false,
    remediation:
      "a restore or its validation failed: fix what the message names, then run `npm run controller -- restore-validate` (or `restore` again)",
  },
  controller_gate_contended: {
    transient: true,
    remediation: "the gate kept changing under this write (many writers at once); it is retried by itself",
  },
  controller_identity_changed: {
    transient: false,
    remediation:
      "the controller's node address changed, which orphans every IX network: restore identity.public/identity.secret from a backup, or run `npm run controller -- preflight --accept-new-identity` if the change is intended",
  },
} as const;

export type ControllerErrorCode = keyof typeof controllerErrorCodes;

export class ControllerError extends AppError {
  readonly transient: boolean;
  readonly remediation: string;

  constructor(code: ControllerErrorCode, message: string, details: Record<string, unknown> = {}) {
    const spec = controllerErrorCodes[code];
    super(code, message, { ...details, remediation: spec.remediation }, spec.transient ? 503 : 502);
    this.name = "ControllerError";
    this.transient = spec.transient;
    this.remediation = spec.remediation;
  }
}

export function isControllerError(e: unknown): e is ControllerError {
  return e instanceof ControllerError;
}

/**
 * Whether the controller refused *this request* (HTTP 400/422: a member it will not take), as
 * opposed to the controller itself being the problem — a token it no longer accepts, a host key
 * that changed, a missing network or secret, no answer at all. Only a refusal is the request's
 * own failure; everything else is a dependency problem: close the gate (`closeGate`) and wait.
 */
export function isRequestRejection(e: unknown): boolean {
  return isControllerError(e) && e.code === "controller_rejected";
}

/** Maps an HTTP status from the controller to an error, or null when it is a success. */
export function errorForStatus(status: number, what: string): ControllerError | null {
  if (status >= 200 && status < 300) return null;
  if (status === 401 || status === 403)
    return new ControllerError("controller_unauthorized", `${what}: HTTP ${status}`);
  if (status === 404)
    return new ControllerError("controller_network_not_found", `${what}: not found (HTTP 404)`);
  if (status === 400 || status === 422)
    return new ControllerError("controller_rejected", `${what}: HTTP ${status}`);
  if (status === 503) return new ControllerError("controller_not_ready", `${what}: HTTP 503`);
  if (status >= 500) return new ControllerError("controller_server_error", `${what}: HTTP ${status}`);
  return new ControllerError("controller_bad_response", `${what}: unexpected HTTP ${status}`);
}

const transientNetworkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ECONNABORTED",
]);

/** What each `@ztix/ssh` failure means for the controller; any other SSH code is `controller_unreachable`. */
const sshCodes: Partial<Record<string, ControllerErrorCode>> = {
  ssh_host_key_mismatch: "controller_host_key_mismatch",
  ssh_auth_failed: "controller_ssh_auth_failed",
  ssh_private_key_invalid: "controller_ssh_auth_failed",
  ssh_exec_timeout: "controller_timeout",
  ssh_output_too_large: "controller_bad_response",
};

/** Classifies a socket/SSH level failure (no HTTP status) as transient or permanent. */
export function errorForTransport(e: unknown, what: string): ControllerError {
  if (isControllerError(e)) return e;
  if (isSshError(e)) {
    // The SSH layer already told a pinned-key refusal from a dropped connection; keep its word.
    return new ControllerError(sshCodes[e.code] ?? "controller_unreachable", `${what}: ${e.message}`, {
      ...e.details,
      ssh_code: e.code,
    });
  }
  const err = e as { code?: string; level?: string; message?: string };
  const message = `${what}: ${err.message ?? String(e)}`;
  if (/host verification failed|host key/i.test(err.message ?? "")) {
    return new ControllerError("controller_host_key_mismatch", message);
  }
  if (err.level === "client-authentication")
    return new ControllerError("controller_ssh_auth_failed", message);
  if (err.level === "client-timeout") return new ControllerError("controller_timeout", message);
  if (err.code && transientNetworkCodes.has(err.code))
    return new ControllerError("controller_unreachable", message);
  // Unknown socket trouble (a dropped SSH channel, "Not connected", ...) is treated as transient:
  // retrying is safe because every controller write is an idempotent upsert.
  return new ControllerError("controller_unreachable", message);
}
