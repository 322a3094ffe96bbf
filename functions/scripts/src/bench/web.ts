/**
 * Bench: what the SPA sends for its first page. Reads web/build (building it if missing):
 * the entry files index.html loads, plus the first route a visitor lands on (/login) with
 * every chunk and stylesheet SvelteKit preloads for it, gzipped as a static host would.
 * Also the largest route chunk and each route's own cost on top of the entry.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const REPO_ROOT = resolve(import.meta.dirname, "../../../..");
const BUILD_DIR = join(REPO_ROOT, "web/build");
/** Issue 6's budget for the first page's JavaScript, gzipped. */
export const FIRST_PAGE_JS_BUDGET = 80 * 1024;
const FIRST_ROUTE = "/login";

const gzipCache = new Map<string, number>();
function gzipBytes(urlPath: string): number {
  let size = gzipCache.get(urlPath);
  if (size === undefined) {
    size = gzipSync(readFileSync(join(BUILD_DIR, urlPath)), { level: 9 }).length;
    gzipCache.set(urlPath, size);
  }
  return size;
}

/** Absolute /_app/... paths index.html preloads, links or imports. */
function entryAssets(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/<link\s+href="([^"]+)"\s+rel="(?:modulepreload|stylesheet)"/g))
    found.add(m[1]!);
  for (const m of html.matchAll(/import\("([^"]+\.js)"\)/g)) found.add(m[1]!);
  return [...found];
}

interface RouteGraph {
  /** Route id → the node files and their preloaded dependencies (JS and CSS). */
  routes: Record<string, string[]>;
  /** Route id → its own node file. */
  nodeOf: Record<string, string>;
  /** Files of the layout and error nodes (0 and 1) every route also loads. */
  shared: string[];
}

/**
 * Reads SvelteKit's generated app entry: the `__vite__mapDeps` file table, the `nodes` loaders
 * (each `import("../nodes/N.js")` with the table indices it preloads) and the route dictionary
 * (`{"/login":[7], ...}`). Minified internals: if their shape changes this throws, loudly.
 */
function routeGraph(appJs: string): RouteGraph {
  const table = /m\.f=\[([^\]]*)\]/.exec(appJs);
  if (!table) throw new Error("bench/web: no __vite__mapDeps table in the app entry");
  const files = [...table[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  const nodes: string[][] = [];
  for (const m of appJs.matchAll(/import\(`\.\.\/nodes\/(\d+)\.[^`]+`\),__vite__mapDeps\(\[([\d,]*)\]\)/g)) {
    nodes[Number(m[1])] = m[2]!
      .split(",")
      .filter(Boolean)
      .map((i) => files[Number(i)]!);
  }
  const dict = /=(\{"\/":\[[^}]*\})/.exec(appJs);
  if (!dict || nodes.length === 0)
    throw new Error("bench/web: no route dictionary or node loaders in the app entry");
  const dictionary = JSON.parse(dict[1]!) as Record<string, number[]>;
  const shared = [...(nodes[0] ?? []), ...(nodes[1] ?? [])];
  const routes: Record<string, string[]> = {};
  const nodeOf: Record<string, string> = {};
  for (const [route, ids] of Object.entries(dictionary)) {
    const page = Math.abs(ids[0]!);
    routes[route] = [...new Set([...shared, ...ids.flatMap((id) => nodes[Math.abs(id)] ?? [])])];
    nodeOf[route] = nodes[page]?.[0] ?? "";
  }
  return { routes, nodeOf, shared };
}

/** What a chunk mostly is, from strings the bundlers leave in it. */
function describeChunk(path: string): string {
  const text = readFileSync(join(BUILD_DIR, path), "utf8");
  if (text.includes("https://svelte.dev/e/")) return "Svelte 5 runtime";
  if (text.includes("sveltekit") || text.includes("__sveltekit")) return "SvelteKit client router";
  if (path.includes("/nodes/")) return "route component";
  if (path.endsWith(".css")) return "styles";
  return "app code";
}

const sum = (paths: string[]) => paths.reduce((total, p) => total + gzipBytes(p), 0);

export async function run(): Promise<Record<string, unknown>> {
  if (!existsSync(join(BUILD_DIR, "index.html"))) {
    execFileSync("npm", ["run", "build", "-w", "@ztix/web"], {
      cwd: REPO_ROOT,
      stdio: "ignore",
      env: { ...process.env, NODE_ENV: "production" },
    });
  }
  const html = readFileSync(join(BUILD_DIR, "index.html"), "utf8");
  const entry = entryAssets(html);
  const appEntry = entry.find((p) => p.includes("/entry/app."));
  if (!appEntry) throw new Error("bench/web: index.html loads no app entry");
  const graph = routeGraph(readFileSync(join(BUILD_DIR, appEntry), "utf8"));
  const firstRoute = graph.routes[FIRST_ROUTE];
  if (!firstRoute) throw new Error(`bench/web: no ${FIRST_ROUTE} route in the build`);

  const firstPage = [...new Set([...entry, ...firstRoute])];
  const js = firstPage.filter((p) => p.endsWith(".js"));
  const css = firstPage.filter((p) => p.endsWith(".css"));
  const jsBytes = sum(js);
  const dominant = js
    .map((p) => ({
      file: p,
      gzip_bytes: gzipBytes(p),
      share: Math.round((gzipBytes(p) / jsBytes) * 100) / 100,
    }))
    .sort((a, b) => b.gzip_bytes - a.gzip_bytes)
    .slice(0, 3)
    .map((d) => ({ ...d, is: describeChunk(d.file) }));

  const entrySet = new Set(entry);
  const perRoute = Object.fromEntries(
    Object.entries(graph.routes).map(([route, files]) => {
      const own = files.filter((f) => f.endsWith(".js") && !entrySet.has(f));
      return [
        route,
        { node_gzip_bytes: gzipBytes(graph.nodeOf[route]!), js_beyond_entry_gzip_bytes: sum(own) },
      ];
    }),
  );
  const nodeFiles = readdirSync(join(BUILD_DIR, "_app/immutable/nodes")).map(
    (f) => `/_app/immutable/nodes/${f}`,
  );
  const largestNode = nodeFiles.sort((a, b) => gzipBytes(b) - gzipBytes(a))[0]!;
  const largestRoute =
    Object.entries(graph.nodeOf).find(([, f]) => f === largestNode)?.[0] ?? "(layout/error)";
  const fonts = readdirSync(join(BUILD_DIR, "_app/immutable/assets")).filter((f) => f.endsWith(".woff2"));

  return {
    first_page_route: FIRST_ROUTE,
    first_page_js_gzip_bytes: jsBytes,
    first_page_js_files: js.length,
    first_page_css_gzip_bytes: sum(css),
    first_page_css_files: css.length,
    js_budget_gzip_bytes: FIRST_PAGE_JS_BUDGET,
    within_budget: jsBytes <= FIRST_PAGE_JS_BUDGET,
    dominated_by: dominant,
    largest_route_chunk: { route: largestRoute, file: largestNode, gzip_bytes: gzipBytes(largestNode) },
    routes: perRoute,
    font_woff2_files: fonts.length,
  };
}

// `npx tsx functions/scripts/src/bench/web.ts` prints the figures on their own.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
