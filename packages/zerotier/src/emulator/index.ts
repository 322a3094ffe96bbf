export { ensureIdentity, ensureToken, readIdentity } from "./identity.ts";
export {
  type ControllerEmulator,
  type ControllerEmulatorOptions,
  type EmulatorFault,
  startControllerEmulator,
} from "./server.ts";
