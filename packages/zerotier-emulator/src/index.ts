export { freshEmulator, type RawResponse, raw } from "./fixture.ts";
export { ensureIdentity, ensureToken, readIdentity } from "./identity.ts";
export {
  type ControllerEmulator,
  type ControllerEmulatorOptions,
  type EmulatorFault,
  startControllerEmulator,
} from "./server.ts";
