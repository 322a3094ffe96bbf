/**
 * Checks a ZeroTier node id as the user types. Mirrors `nodeIdSchema` in @ztix/core (which
 * cannot be bundled: it pulls in node:net); web/test/node-id.test.ts keeps the two in step.
 * Returns null when the value is valid, else a sentence saying what is wrong.
 */
export function nodeIdProblem(raw: string): string | null {
  const value = raw.trim();
  if (value === "") return "Enter your node id: 10 hex digits.";
  if (/[^0-9a-fA-F]/.test(value)) return "Only the digits 0–9 and letters a–f are allowed.";
  if (/[A-F]/.test(value)) return "Use lower-case letters (a–f).";
  if (value.length < 10) return `Too short: ${value.length} of 10 hex digits.`;
  if (value.length > 10) return `Too long: ${value.length} hex digits; a node id has 10.`;
  if (value.startsWith("ff"))
    return "Node ids starting with ff are reserved; check you copied the right value.";
  return null;
}

/** Normalises pasted input: `zerotier-cli info` prints `200 info <node id> <version> ONLINE`. */
export function normaliseNodeId(raw: string): string {
  const match = /^\s*200 info ([0-9a-fA-F]{10})\b/.exec(raw);
  return (match ? match[1]! : raw).trim();
}
