import type { RouteServerConfig } from "@ztix/core";
import { shellQuote as q } from "@ztix/ssh";

/** One line of birdc's `-v` output: a 4-digit reply code, or a continuation of the one before. */
export interface BirdLine {
  code: number;
  text: string;
}

/** `birdc -v -s <socket> <command>`: reply codes on every line, so replies are read, not guessed. */
export function birdcCommand(rs: Pick<RouteServerConfig, "commands" | "paths">, command: string): string {
  return `${q(rs.commands.birdc)} -v -s ${q(rs.paths.control_socket)} ${command}`;
}

/**
 * Parses birdc `-v` output. Lines start `NNNN-` (more follows) or `NNNN ` (last of a reply);
 * a line starting with a space continues the previous code. The greeting (0001) is dropped.
 */
export function parseBirdOutput(out: string): BirdLine[] {
  const lines: BirdLine[] = [];
  let last = 0;
  for (const raw of out.split("\n")) {
    const m = /^(\d{4})[ -](.*)$/.exec(raw);
    if (m) {
      last = Number(m[1]);
      if (last !== 1) lines.push({ code: last, text: m[2]! });
    } else if (raw.startsWith(" ") && last !== 0) {
      lines.push({ code: last, text: raw.slice(1) });
    }
  }
  return lines;
}

/** The first error reply (8xxx run-time, 9xxx parse/CLI) or undefined. */
export function birdError(lines: readonly BirdLine[]): BirdLine | undefined {
  return lines.find((l) => l.code >= 8000);
}

export function hasCode(lines: readonly BirdLine[], code: number): boolean {
  return lines.some((l) => l.code === code);
}

/** BIRD's reply codes the apply acts on (observed with `birdc -v`, BIRD 2.0.12). */
export const BirdCode = {
  reconfigured: 3,
  reconfigurationInProgress: 4,
  reconfigurationQueued: 5,
  confirmed: 18,
  nothingToDo: 19,
  undoRequested: 21,
  undoScheduled: 22,
  evalResult: 23,
  parseError: 8002,
} as const;

/** `8002 /etc/bird/ztix/members/AS1_000001_0000000001.conf:9:12 <message>` → where and why. */
export function parseErrorLocation(
  text: string,
): { file: string; line: number; message: string } | undefined {
  const m = /^(\S+?):(\d+):(\d+) (.*)$/.exec(text);
  return m ? { file: m[1]!, line: Number(m[2]), message: m[4]! } : undefined;
}

/** Protocol names from `show protocols` output (the first column of each row). */
export function protocolNames(lines: readonly BirdLine[]): Set<string> {
  const names = new Set<string>();
  for (const l of lines) {
    // 2002 is the header row; 1002 rows (and their continuations) name protocols.
    if (l.code !== 1002) continue;
    const name = l.text.trim().split(/\s+/)[0];
    if (name) names.add(name);
  }
  return names;
}

/** birdc's output as words for an error message: the error lines, else everything. */
export function birdWords(out: string): string {
  const lines = parseBirdOutput(out);
  const errors = lines.filter((l) => l.code >= 8000).map((l) => l.text);
  const text = (errors.length > 0 ? errors : lines.map((l) => l.text)).join("; ").trim();
  return text || out.trim();
}
