// The one sshd launcher lives in @ztix/local-stack (tests and the dev launcher share it).
export { type SshdInstance, startSshd } from "@ztix/local-stack";
