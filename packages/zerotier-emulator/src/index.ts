export { freshEmulator, type RawResponse, raw } from "./fixture.ts";
export { ensureIdentity, ensureToken, readIdentity } from "./identity.ts";
export type { Json } from "./objects.ts";
export {
  type ControllerEmulator,
  type ControllerEmulatorOptions,
  type EmulatorFault,
  type NodeVersion,
  startControllerEmulator,
} from "./server.ts";
