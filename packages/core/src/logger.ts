import { AsyncLocalStorage } from "node:async_hooks";

export type LogLevel = "debug" | "info" | "warn" | "error";
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields carried by every log line written inside a request or job. */
export interface LogContext {
  requestId?: string;
  correlationId?: string;
  [key: string]: unknown;
}

const contextStore = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `ctx` attached to every log line it (and what it awaits) writes. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return contextStore.run({ ...contextStore.getStore(), ...ctx }, fn);
}

export function currentLogContext(): LogContext {
  return contextStore.getStore() ?? {};
}

export type LogSink = (line: string) => void;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

// Keys whose values never reach a log line, whatever their nesting.
const redactedKeys = /pass(word)?|secret|token|authorization|cookie|private_?key|code_?verifier/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error)
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = redactedKeys.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

/** A logger writing one JSON object per line, with the current request/correlation ids. */
export function createLogger(
  options: { base?: Record<string, unknown>; level?: LogLevel; sink?: LogSink } = {},
): Logger {
  const minLevel = options.level ?? ((process.env.LOG_LEVEL as LogLevel | undefined) || "info");
  const sink: LogSink = options.sink ?? ((line) => process.stdout.write(`${line}\n`));
  const base = options.base ?? {};
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (levelRank[level] < (levelRank[minLevel] ?? 20)) return;
    const entry = { time: new Date().toISOString(), level, msg, ...base, ...currentLogContext(), ...fields };
    sink(JSON.stringify(redact(entry)));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ base: { ...base, ...fields }, level: minLevel, sink }),
  };
}

/** Process-wide default logger. */
export const logger: Logger = createLogger();
