import type { RouteServerConfig } from "@ztix/core";
import { shellQuote as q } from "@ztix/ssh";
import { safeFileName } from "./read.ts";

/** Printed by a script that ran to its end, so a success is what the box said, not an exit code. */
export const SWAPPED = "ztix-swapped";
export const RESTORED = "ztix-restored";

export interface ScriptFiles {
  /** Files to write into the members directory. */
  writes: { name: string; text: string }[];
  /** The policy file's new text, if it changes. */
  policyText?: string;
  /** Names to delete from the members directory. */
  removes: string[];
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";

/** Writes `text` to `path` with the shell's own printf: byte for byte, and no process per file. */
function writeFile(path: string, text: string): string {
  return `printf '%s' ${q(text)} > ${q(path)}`;
}

/** `cmd -- a b c` for a non-empty list, nothing otherwise (one process for any number of files). */
function many(cmd: string, paths: readonly string[], last?: string): string[] {
  return paths.length === 0 ? [] : [`${cmd} -- ${paths.map(q).join(" ")}${last ? ` ${q(last)}` : ""}`];
}

function assertSafe(name: string) {
  if (!safeFileName.test(name))
    throw new Error(`refusing to touch an unsafe file name: ${JSON.stringify(name)}`);
}

/**
 * The shell script (fed to `sh -s`) that stages and swaps one apply. New files are written
 * into a hidden directory beside the live ones (same file system, skipped by BIRD's `*.conf`
 * glob), the previous version of every file it replaces or deletes is copied into the
 * transaction's directory (or marked absent), then the new files are renamed into place
 * (atomic per file). Only changed files are touched, and the number of processes does not
 * grow with the number of files: writes use the shell's printf, and cp, mv and rm each run
 * once over all names. Also clears what interrupted applies left behind.
 */
export function stageAndSwapScript(rs: RouteServerConfig, txnDir: string, files: ScriptFiles): string {
  const { members_dir: members, policy_file: policy, staging_dir: staging } = rs.paths;
  const txn = txnDir.slice(txnDir.lastIndexOf("/") + 1);
  const incoming = `${members}/.${txn}`;
  const prev = `${txnDir}/prev`;
  for (const w of files.writes) assertSafe(w.name);
  for (const name of files.removes) assertSafe(name);
  const touched = [...files.writes.map((w) => w.name), ...files.removes];
  const out = [
    "set -eu",
    "umask 022",
    `rm -rf ${q(staging)}/ztix-* ${q(members)}/.ztix-*`,
    `mkdir -p ${q(`${prev}/members`)} ${q(incoming)} ${q(dirOf(policy))}`,
    // Which of the touched files exist now decides what is copied and what is marked absent.
    `cd ${q(members)}`,
    "set --",
    ...touched.map(
      (n) => `if [ -e ${q(n)} ]; then set -- "$@" ${q(n)}; else : > ${q(`${prev}/members/${n}.absent`)}; fi`,
    ),
    `if [ $# -gt 0 ]; then cp -p -- "$@" ${q(`${prev}/members/`)}; fi`,
    ...files.writes.map((w) => writeFile(`${incoming}/${w.name}`, w.text)),
  ];
  if (files.policyText !== undefined) {
    out.push(
      `if [ -e ${q(policy)} ]; then cp -p -- ${q(policy)} ${q(`${prev}/policy`)}; else : > ${q(`${prev}/policy.absent`)}; fi`,
      writeFile(`${dirOf(policy)}/.policy.ztix-new`, files.policyText),
    );
  }
  // The swap: renames within one directory, then the deletions.
  out.push(
    ...many(
      "mv -f",
      files.writes.map((w) => `${incoming}/${w.name}`),
      `${members}/`,
    ),
    ...(files.policyText !== undefined
      ? [`mv -f -- ${q(`${dirOf(policy)}/.policy.ztix-new`)} ${q(policy)}`]
      : []),
    ...many(
      "rm -f",
      files.removes.map((n) => `${members}/${n}`),
    ),
    `rmdir ${q(incoming)}`,
    `echo ${SWAPPED}`,
  );
  return `${out.join("\n")}\n`;
}

/**
 * Puts back what one apply replaced or deleted (all of it, or only `names`), from the
 * transaction's directory: a file that did not exist before is removed again.
 */
export function restoreScript(rs: RouteServerConfig, txnDir: string, names?: readonly string[]): string {
  const { members_dir: members, policy_file: policy } = rs.paths;
  const prev = `${txnDir}/prev`;
  for (const n of names ?? []) assertSafe(n);
  const select = names
    ? names
        .map((n) => `${prev}/members/${n}`)
        .flatMap((p) => [p, `${p}.absent`])
        .map(q)
        .join(" ")
    : `${q(`${prev}/members`)}/*`;
  const out = [
    "set -eu",
    // Copies back what existed, in one cp; collects what did not, for one rm.
    "set --",
    "gone=",
    `for f in ${select}; do [ -e "$f" ] || continue; case "$f" in *.absent) n=\${f##*/}; gone="$gone \${n%.absent}";; *) set -- "$@" "$f";; esac; done`,
    `if [ $# -gt 0 ]; then cp -p -- "$@" ${q(`${members}/`)}; fi`,
    `cd ${q(members)}`,
    // Plain names only (checked before anything was written), so word splitting is safe.
    "set -- $gone",
    'if [ $# -gt 0 ]; then rm -f -- "$@"; fi',
  ];
  if (!names) {
    out.push(
      `if [ -e ${q(`${prev}/policy.absent`)} ]; then rm -f -- ${q(policy)}; elif [ -e ${q(`${prev}/policy`)} ]; then cp -p -- ${q(`${prev}/policy`)} ${q(policy)}; fi`,
    );
  }
  out.push(`echo ${RESTORED}`);
  return `${out.join("\n")}\n`;
}

/** Writes files into the members directory (each renamed into place), keeping no copy. */
export function writeFilesScript(rs: RouteServerConfig, writes: { name: string; text: string }[]): string {
  const members = rs.paths.members_dir;
  const out = ["set -eu", "umask 022"];
  for (const w of writes) {
    assertSafe(w.name);
    const next = `${members}/.${w.name}.ztix-new`;
    out.push(writeFile(next, w.text), `mv -f -- ${q(next)} ${q(`${members}/${w.name}`)}`);
  }
  out.push(`echo ${SWAPPED}`);
  return `${out.join("\n")}\n`;
}
