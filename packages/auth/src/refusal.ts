import { AppError } from "@ztix/core";

/**
 * A refused sign-in. `code` is what the client sees (stable, mapped to HTTP by AppError);
 * `reason` is finer-grained and goes only to the audit trail, metrics and logs (e.g. the
 * client sees `invalid_credentials` for both `unknown_user` and `wrong_password`).
 */
export class LoginRefused extends AppError {
  constructor(
    code: string,
    message: string,
    readonly reason: string,
    details: Record<string, unknown> = {},
    readonly userId?: string,
    status?: number,
  ) {
    super(code, message, details, status);
    this.name = "LoginRefused";
  }
}
