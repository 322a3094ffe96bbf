import { AppError } from "@ztix/core";

/**
 * An SSH failure. `transient` is decided here, where the failure is seen: a refused or
 * dropped connection or a timeout may pass by itself; a host key that is not the pinned one,
 * or a key the server refuses, will not until someone changes the config.
 */
export class SshError extends AppError {
  readonly transient: boolean;
  constructor(code: string, message: string, transient: boolean, details: Record<string, unknown> = {}) {
    super(code, message, details, 503);
    this.name = "SshError";
    this.transient = transient;
  }
}

export function isSshError(e: unknown): e is SshError {
  return e instanceof SshError;
}
