/**
 * A readable `npm run dev` console. By default: no CloudWatch EMF metric lines (they are for
 * CloudWatch; `ZTIX_METRICS=off`), product logs from `warn` up (`LOG_LEVEL`), each distinct
 * warning once (a route server that stays down does not repeat every reconcile), and no
 * notices third-party libraries print about themselves (oidc-provider's "unsupported runtime"
 * on Node 20 and its in-memory store, which is what a stand-in wants). `ZTIX_DEV_VERBOSE=1`
 * shows everything: metrics, info logs, repeats.
 */
export function devVerbose(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["1", "true", "yes"].includes((env.ZTIX_DEV_VERBOSE ?? "").toLowerCase());
}

/** What the quiet console hid so far, for the summary line that says how to see it. */
export interface QuietConsole {
  hidden(): number;
  restore(): void;
}

/** Sets the log environment and filters the console for this process (idempotent per process). */
export function quietDevConsole(env: NodeJS.ProcessEnv = process.env): QuietConsole {
  // Local runs are on Node 20; Lambda runs 22. The SDK's upgrade notice would repeat on every start.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  if (devVerbose(env)) {
    env.LOG_LEVEL ??= "info";
    return { hidden: () => 0, restore() {} };
  }
  env.ZTIX_METRICS ??= "off";
  env.LOG_LEVEL ??= "warn";
  let hidden = 0;
  const seen = new Map<string, number>();
  /** Whether a line should be hidden: library notices, metric lines, repeats of a warning. */
  const hide = (text: string): boolean => {
    if (text.startsWith("oidc-provider ")) return true;
    if (!text.startsWith("{")) return false;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (entry._aws) return true;
    if (typeof entry.msg !== "string") return false;
    const key = [
      entry.level,
      entry.component ?? entry.service,
      entry.msg,
      entry.code ?? entry.routeServer,
    ].join("|");
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    return count > 1;
  };

  const original = {
    warn: console.warn,
    info: console.info,
    write: process.stdout.write.bind(process.stdout),
  };
  const wrapConsole =
    (fn: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === "string" && hide(args[0])) {
        hidden++;
        return;
      }
      fn(...args);
    };
  console.warn = wrapConsole(original.warn);
  console.info = wrapConsole(original.info);
  // The product's loggers write one JSON object per line straight to stdout.
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === "string" && chunk.startsWith("{") && hide(chunk.trimEnd())) {
      hidden++;
      const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      cb?.();
      return true;
    }
    return (original.write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  // Node's own warnings (deprecations and the like): each distinct one once.
  const printed = new Set<string>();
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    const key = `${w.name}: ${w.message}`;
    if (printed.has(key)) {
      hidden++;
      return;
    }
    printed.add(key);
    original.warn(`(node) ${key}`);
  });
  return {
    hidden: () => hidden,
    restore() {
      console.warn = original.warn;
      console.info = original.info;
      process.stdout.write = original.write as typeof process.stdout.write;
    },
  };
}
